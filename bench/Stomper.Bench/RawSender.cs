using System.Net.Sockets;
using System.Text;

namespace Stomper.Bench;

/// <summary>
/// The ceiling a client can approach: SEND frames encoded once, written in big batches to
/// a blocking socket, then DISCONNECT, timed until its RECEIPT. No client library at all.
/// </summary>
internal static class RawSender
{
    private const int Batch = 1000;

    public static Result Publish(string workload, string host, int port, int count, string destination, string? login = null, string? passcode = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(host, port);
        var auth = login is null ? string.Empty : $"login:{login}\npasscode:{passcode}\n";
        socket.Send(Encoding.UTF8.GetBytes($"CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n{auth}\n\0"));
        var reply = new byte[64 * 1024];
        ReadFrame(socket, reply, "CONNECTED");

        var frame = Encoding.UTF8.GetBytes($"SEND\ndestination:{destination}\ncontent-length:{Workloads.Body100.Length}\n\n{Workloads.Body100}\0");
        var batch = new byte[frame.Length * Batch];
        for (var i = 0; i < Batch; i++)
        {
            frame.CopyTo(batch, i * frame.Length);
        }

        var m = Measurement.Start();
        for (var sent = 0; sent < count; sent += Batch)
        {
            socket.Send(batch.AsSpan(0, Math.Min(Batch, count - sent) * frame.Length));
        }

        socket.Send("DISCONNECT\nreceipt:raw-bye\n\n\0"u8);
        ReadFrame(socket, reply, "RECEIPT");
        return m.Stop(workload, "raw", count);
    }

    /// <summary>Reads until a frame has ended; it must be of the expected command.</summary>
    private static void ReadFrame(Socket socket, byte[] buffer, string command)
    {
        var length = 0;
        while (Array.IndexOf(buffer, (byte)0, 0, length) < 0)
        {
            var n = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException($"The peer closed while {command} was awaited");
            }

            length += n;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, length).TrimStart('\n', '\r');
        if (!text.StartsWith(command, StringComparison.Ordinal))
        {
            throw new IOException($"Expected {command}, got: {text}");
        }
    }
}
