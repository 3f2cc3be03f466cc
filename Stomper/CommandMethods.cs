namespace Stomper;

/// <summary>
/// The command methods of AnyEvent::Stomper and AnyEvent::Stomper::Cluster ("COMMAND
/// METHODS" in their documentation), each a named form of <see cref="Execute"/>. Both
/// <see cref="StomperClient"/> and the cluster client inherit them.
/// </summary>
public abstract class CommandMethods
{
    /// <summary>
    /// Runs any client command by name (<c>-&gt;execute('SEND', %params, $cb)</c>). A
    /// callback given here is the command callback <c>($receipt, $err)</c>; for
    /// SUBSCRIBE use <see cref="CommandParams.OnMessage"/> for the messages.
    /// </summary>
    public abstract void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null);

    /// <summary>SEND: sends a message to a destination; the optional trailing callback is <c>on_receipt</c>.</summary>
    public void Send(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Send, parameters, onReceipt);

    /// <summary>SUBSCRIBE: <see cref="CommandParams.OnMessage"/> is required.</summary>
    /// <exception cref="ArgumentException"><c>"on_message" callback must be specified</c>.</exception>
    public void Subscribe(CommandParams parameters) => Execute(StompCommands.Subscribe, parameters);

    /// <summary>SUBSCRIBE with the message callback as the trailing argument (Perl's single trailing sub).</summary>
    public void Subscribe(CommandParams parameters, Action<Frame> onMessage)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.OnMessage = onMessage;
        Execute(StompCommands.Subscribe, parameters);
    }

    /// <summary>UNSUBSCRIBE: removes a subscription by <c>id</c> (or <c>destination</c>).</summary>
    public void Unsubscribe(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Unsubscribe, parameters, onReceipt);

    /// <summary>
    /// ACK: acknowledges <see cref="CommandParams.Message"/> (0.32+), or the message named
    /// by an <c>id</c> header as the seed (0.30) does.
    /// </summary>
    /// <exception cref="ArgumentException"><c>"message" parameter must be specified</c>.</exception>
    public void Ack(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Ack, parameters, onReceipt);

    /// <summary>NACK: the opposite of <see cref="Ack"/>.</summary>
    /// <exception cref="ArgumentException"><c>"message" parameter must be specified</c>.</exception>
    public void Nack(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Nack, parameters, onReceipt);

    /// <summary>BEGIN: starts a transaction.</summary>
    public void Begin(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Begin, parameters, onReceipt);

    /// <summary>COMMIT: commits a transaction.</summary>
    public void Commit(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Commit, parameters, onReceipt);

    /// <summary>ABORT: rolls a transaction back.</summary>
    public void Abort(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Abort, parameters, onReceipt);

    /// <summary>DISCONNECT: the graceful close; the connection closes when its RECEIPT arrives.</summary>
    public void Disconnect(CommandParams? parameters = null, Action<Frame?, StompError?>? onReceipt = null) =>
        Execute(StompCommands.Disconnect, parameters ?? new CommandParams(), onReceipt);
}
