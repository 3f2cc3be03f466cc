using System.Net.Sockets;

namespace Stomper.Hosting;

/// <summary>
/// Whether a node that has no session accepts a TCP connection: a connect, closed at once,
/// with nothing written. A cluster keeps only its active node connected, as the original
/// does, so this is the only way to know the others can take over.
/// </summary>
internal static class NodeProbe
{
    /// <returns>Null when the node accepted; else why not.</returns>
    public static async Task<string?> TryConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.###} s";
        }
    }
}
