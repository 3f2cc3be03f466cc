namespace Stomper;

/// <summary>
/// The public face of a single-node client that the cluster works through; tests of the
/// cluster mock it with Moq. <see cref="StomperClient"/> is the implementation.
/// </summary>
public interface IStomperClient : IDisposable
{
    /// <summary>The node's host.</summary>
    string Host { get; }

    /// <summary>The node's port.</summary>
    int Port { get; }

    /// <summary>True while the node's session is up.</summary>
    bool IsConnected { get; }

    /// <summary>Runs a command by name; see <see cref="StomperClient.Execute(string, CommandParams, Action{Frame, StompError})"/>.</summary>
    void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null);

    /// <summary>Closes the node's connection at once, aborting what is pending.</summary>
    void ForceDisconnect();

    /// <summary>Stops taking frames from the node; see <see cref="StomperClient.PauseReading"/>.</summary>
    void PauseReading();

    /// <summary>Takes frames again; see <see cref="StomperClient.ResumeReading"/>.</summary>
    void ResumeReading();
}
