using System.Net.Sockets;
using System.Text;
using Stomper.Cluster;

namespace Stomper.Chaos;

/// <summary>
/// Tells when a node is back from the broker's side, not the client's: a node has returned
/// once it answers a STOMP CONNECT with CONNECTED (a node still booting may take TCP
/// connections, or refuse them, but answers no CONNECT). Blocking; run on a worker thread.
/// </summary>
internal static class NodeProbe
{
    private static readonly TimeSpan s_attemptTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Tries every node each 50 ms until one answers, and returns when it did (on
    /// <see cref="ChaosClock"/>) and which; throws after <paramref name="deadline"/> seconds.
    /// </summary>
    public static (double At, ClusterNode Node) FirstAnswer(IReadOnlyList<ClusterNode> nodes, string login, string passcode, double deadline)
    {
        var until = ChaosClock.Now + deadline;
        while (ChaosClock.Now < until)
        {
            foreach (var node in nodes)
            {
                if (Answers(node, login, passcode))
                {
                    return (ChaosClock.Now, node);
                }
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"no node answered a STOMP CONNECT within {deadline} s");
    }

    private static bool Answers(ClusterNode node, string login, string passcode)
    {
        try
        {
            using var client = new TcpClient();
            using var cancel = new CancellationTokenSource(s_attemptTimeout);
            client.ConnectAsync(node.Host, node.Port, cancel.Token).AsTask().GetAwaiter().GetResult();
            var stream = client.GetStream();
            stream.Write(Encoding.ASCII.GetBytes($"CONNECT\naccept-version:1.2\nhost:/\nlogin:{login}\npasscode:{passcode}\n\n\0"));
            var buffer = new byte[512];
            var read = stream.ReadAsync(buffer, cancel.Token).AsTask().GetAwaiter().GetResult();
            var answer = Encoding.ASCII.GetString(buffer, 0, read).TrimStart('\r', '\n');
            if (answer.StartsWith("CONNECTED", StringComparison.Ordinal))
            {
                stream.Write("DISCONNECT\n\n\0"u8);
                return true;
            }

            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
