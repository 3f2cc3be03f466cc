using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Stomper.Bench;

/// <summary>
/// The minimal local STOMP peer the client workloads run against: it answers CONNECT
/// (or STOMP) with CONNECTED, every frame carrying a <c>receipt</c> header with a RECEIPT,
/// DISCONNECT with its RECEIPT and a close, discards everything else, and after a
/// SUBSCRIBE that carries <c>x-count:N</c> floods N pre-encoded MESSAGE frames.
/// </summary>
/// <remarks>
/// It must never be the bottleneck, so it parses only what it has to: frames end at the
/// first NUL (the bench bodies hold none), and a frame's header block is searched for
/// <c>receipt:</c> only when it is there at all. One blocking thread per connection; run it
/// in its own process (<c>peer</c> mode) so that its CPU is not charged to the client.
/// Given a certificate, it serves the same behind TLS (a blocking <see cref="SslStream"/>
/// per connection) for the TLS workloads.
/// </remarks>
internal sealed class StompPeer : IDisposable
{
    private const int FloodBatch = 1000;

    /// <summary>The id header a cluster's send journal stamps, as the flood writes it when the SUBSCRIBE asks (<c>x-ids:true</c>).</summary>
    private const string IdHeader = "stomper-id:";
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly int _readBuffer;
    private readonly X509Certificate2? _certificate;
    private int _sessions;

    /// <param name="port">The port to listen on; 0 for any free one.</param>
    /// <param name="readBuffer">Bytes each connection starts reading into (it grows when a frame needs more): 1 MiB takes a publish flood in few reads; the scale workload's thousand connections ask for less.</param>
    /// <param name="certificate">With a certificate (and its key), every connection speaks TLS.</param>
    public StompPeer(int port = 0, int readBuffer = 1 << 20, X509Certificate2? certificate = null)
    {
        _readBuffer = readBuffer;
        _certificate = certificate;
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        // Room for the scale workload's thousand clients connecting in one burst.
        _listener.Listen(1024);
        new Thread(Accept) { IsBackground = true, Name = "peer-accept" }.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The MESSAGE frame the flood sends: fixed width, so a batch is a whole number of them.</summary>
    /// <param name="withId">Adds a fixed-width <c>stomper-id</c> header (issue 14's deduplication), whose digits <see cref="Flood"/> rewrites per batch.</param>
    public static byte[] EncodeMessage(string subscription, int sequence, ReadOnlySpan<byte> body, bool withId = false)
    {
        var id = withId ? string.Create(CultureInfo.InvariantCulture, $"{IdHeader}{sequence:D10}\n") : string.Empty;
        var head = string.Create(CultureInfo.InvariantCulture,
            $"MESSAGE\nsubscription:{subscription}\nmessage-id:m-{sequence:D8}\ndestination:/queue/bench\n{id}content-length:{body.Length}\n\n");
        var bytes = new byte[Encoding.ASCII.GetByteCount(head) + body.Length + 1];
        var n = Encoding.ASCII.GetBytes(head, bytes);
        body.CopyTo(bytes.AsSpan(n));
        return bytes;
    }

    public void Dispose() => _listener.Dispose();

    private void Accept()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            var session = Interlocked.Increment(ref _sessions);
            var certificate = _certificate;
            var readBuffer = _readBuffer;
            new Thread(() => Serve(PeerStream.Open(socket, certificate), session, readBuffer)) { IsBackground = true, Name = "peer-conn" }.Start();
        }
    }

    private static void Serve(PeerStream? socket, int session, int readBuffer)
    {
        if (socket is null)
        {
            return;
        }

        using var _ = socket;
        var buffer = new byte[readBuffer];
        var replies = new MemoryStream();
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var n = socket.Receive(buffer, length, buffer.Length - length);
                if (n == 0)
                {
                    return;
                }

                length += n;
                var pos = 0;
                var close = false;
                int? flood = null;
                string subscription = "0";
                var ids = false;
                while (pos < length)
                {
                    var rest = buffer.AsSpan(pos, length - pos);
                    var eols = 0;
                    while (eols < rest.Length && (rest[eols] == (byte)'\n' || rest[eols] == (byte)'\r'))
                    {
                        eols++;
                    }

                    pos += eols;
                    rest = rest[eols..];
                    var nul = rest.IndexOf((byte)0);
                    if (nul < 0)
                    {
                        break;
                    }

                    var frame = rest[..nul];
                    pos += nul + 1;
                    var lf = frame.IndexOf((byte)'\n');
                    var command = lf < 0 ? frame : frame[..lf];
                    var headerEnd = frame.IndexOf("\n\n"u8);
                    var headers = headerEnd < 0 ? frame : frame[..(headerEnd + 1)];
                    if (command.SequenceEqual("SEND"u8))
                    {
                        // The hot path: most SENDs carry no receipt and cost two searches.
                        if (headers.IndexOf("\nreceipt:"u8) >= 0)
                        {
                            Receipt(replies, Header(headers, "receipt"u8)!);
                        }

                        continue;
                    }

                    if (command.SequenceEqual("CONNECT"u8) || command.SequenceEqual("STOMP"u8))
                    {
                        replies.Write(Encoding.ASCII.GetBytes($"CONNECTED\nversion:1.2\nsession:peer-{session}\nheart-beat:0,0\nserver:stomper-bench-peer\n\n\0"));
                        continue;
                    }

                    if (Header(headers, "receipt"u8) is { } receipt)
                    {
                        Receipt(replies, receipt);
                    }

                    if (command.SequenceEqual("DISCONNECT"u8))
                    {
                        close = true;
                        break;
                    }

                    if (command.SequenceEqual("SUBSCRIBE"u8) && Header(headers, "x-count"u8) is { } count)
                    {
                        flood = int.Parse(count, CultureInfo.InvariantCulture);
                        subscription = Header(headers, "id"u8) ?? Header(headers, "destination"u8) ?? "0";
                        ids = Header(headers, "x-ids"u8) == "true";
                    }
                }

                buffer.AsSpan(pos, length - pos).CopyTo(buffer);
                length -= pos;
                if (replies.Length > 0)
                {
                    socket.Send(replies.GetBuffer().AsSpan(0, (int)replies.Length));
                    replies.SetLength(0);
                }

                if (close)
                {
                    socket.Shutdown();
                    return;
                }

                if (flood is { } total)
                {
                    // Flooded from a thread of its own, so that this one goes on reading: a
                    // consumer that acknowledges writes as much as it reads, and unread ACKs
                    // would fill the socket and then the client's write buffer.
                    var name = subscription;
                    var withIds = ids;
                    new Thread(() => Flood(socket, name, total, withIds)) { IsBackground = true, Name = "peer-flood" }.Start();
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // The client went away: nothing to report, the bench reads its own results.
        }
    }

    private static void Flood(PeerStream socket, string subscription, int total, bool withIds)
    {
        var body = new byte[100];
        body.AsSpan().Fill((byte)'x');
        var first = EncodeMessage(subscription, 0, body, withIds);
        var one = first.Length;
        var idAt = withIds ? first.AsSpan().IndexOf(Encoding.ASCII.GetBytes(IdHeader)) + IdHeader.Length : -1;
        var batch = new byte[one * FloodBatch];
        for (var i = 0; i < FloodBatch; i++)
        {
            EncodeMessage(subscription, i, body, withIds).CopyTo(batch, i * one);
        }

        try
        {
            for (var sent = 0; sent < total; sent += FloodBatch)
            {
                var frames = Math.Min(FloodBatch, total - sent);
                for (var i = 0; idAt >= 0 && i < frames; i++)
                {
                    // Every message a new id, so that only a real repeat would be dropped.
                    ((long)sent + i).TryFormat(batch.AsSpan((i * one) + idAt, 10), out _, "D10", CultureInfo.InvariantCulture);
                }

                socket.Send(batch.AsSpan(0, frames * one));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // The client left mid-flood and the reading thread closed the socket.
        }
    }

    private static void Receipt(MemoryStream replies, string id) =>
        replies.Write(Encoding.UTF8.GetBytes($"RECEIPT\nreceipt-id:{id}\n\n\0"));

    /// <summary>The first header of that name in a header block that starts with the command line.</summary>
    private static string? Header(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> name)
    {
        var at = 0;
        while (true)
        {
            var lf = headers[at..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return null;
            }

            at += lf + 1;
            var line = headers[at..];
            var end = line.IndexOf((byte)'\n');
            line = end < 0 ? line : line[..end];
            if (line.Length > name.Length && line[name.Length] == (byte)':' && line.StartsWith(name))
            {
                return Encoding.UTF8.GetString(line[(name.Length + 1)..]);
            }
        }
    }
}
