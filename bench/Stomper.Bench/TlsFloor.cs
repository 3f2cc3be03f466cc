using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Text;

namespace Stomper.Bench;

/// <summary>
/// The floor of a TLS round trip (issue 11): what SslStream itself costs for the four record
/// operations of a receipted SEND (the client encrypts the SEND, the server decrypts it and
/// encrypts the RECEIPT, the client decrypts that), over an in-memory pair, on one thread,
/// with no socket and no loop. What the bench's TLS round trip costs beyond the plaintext
/// one cannot fall below these figures while the client and the peer use SslStream.
/// </summary>
internal static class TlsFloor
{
    public static void Run(int trips)
    {
        var certificates = new Stomper.Testing.TestCertificates();
        var toServer = new MemoryPipe();
        var toClient = new MemoryPipe();
        using var client = new SslStream(new PipeEnd(toClient, toServer));
        using var server = new SslStream(new PipeEnd(toServer, toClient));
        var serverUp = Task.Run(() => server.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = certificates.Server }));
        client.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        serverUp.GetAwaiter().GetResult();

        // The bench's frames: a SEND with a 100-byte body and a receipt, and its RECEIPT.
        var send = Encoding.UTF8.GetBytes("SEND\ndestination:/queue/bench\nreceipt:12345\ncontent-length:100\n\n" + new string('x', 100) + "\0");
        var receipt = Encoding.UTF8.GetBytes("RECEIPT\nreceipt-id:12345\n\n\0");
        var into = new byte[16 * 1024];
        long clientTicks = 0;
        long serverTicks = 0;
        for (var round = 0; round < 2; round++)
        {
            // The first round warms the JIT up; the second is measured.
            clientTicks = serverTicks = 0;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < trips; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                client.Write(send);
                var t1 = Stopwatch.GetTimestamp();
                ReadAll(server, into, send.Length);
                server.Write(receipt);
                var t2 = Stopwatch.GetTimestamp();

                // The client reads as TlsTransport does, through ReadAsync.
                var got = 0;
                while (got < receipt.Length)
                {
                    got += client.ReadAsync(into.AsMemory()).GetAwaiter().GetResult();
                }

                var t3 = Stopwatch.GetTimestamp();
                clientTicks += t1 - t0 + (t3 - t2);
                serverTicks += t2 - t1;
            }

            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            if (round == 1)
            {
                var inv = CultureInfo.InvariantCulture;
                double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / trips;
                Console.WriteLine(string.Format(inv, "BENCH tls-floor SslStream trips={0} client_us={1:F2} server_us={2:F2} cpu_us_per_trip={3:F2} protocol={4}",
                    trips, Us(clientTicks), Us(serverTicks), cpu.TotalMicroseconds / trips, client.SslProtocol));
            }
        }
    }

    /// <summary>
    /// The same trips between two <see cref="EventLoop.TlsTransport"/>s over an in-memory
    /// transport, on one loop thread: the client's figure less SslStream's own above is what
    /// the transport adds (its ciphertext stream, the read completed inline, the copies).
    /// </summary>
    public static void RunTransport(int trips)
    {
        var certificates = new Stomper.Testing.TestCertificates();
        using var loop = new EventLoop.Loop();
        var clientEnd = new DirectTransport(loop);
        var serverEnd = new DirectTransport(loop);
        clientEnd.Peer = serverEnd;
        serverEnd.Peer = clientEnd;
        var context = new EventLoop.TlsContext { CaCertificates = [certificates.Ca] };
        using var client = new EventLoop.TlsTransport(loop, clientEnd, EventLoop.TlsMode.Connect, context, innerConnected: true);
        using var server = new EventLoop.TlsTransport(loop, serverEnd, EventLoop.TlsMode.Accept, new EventLoop.TlsContext { ServerCertificate = certificates.Server }, innerConnected: true);
        var up = 0;
        string? failure = null;
        client.Connect("127.0.0.1", 0, e => { up++; failure ??= e; });
        server.Connect("127.0.0.1", 0, e => { up++; failure ??= e; });
        while (up < 2)
        {
            loop.RunOnce(block: false);
        }

        if (failure is not null)
        {
            throw new InvalidOperationException(failure);
        }

        var send = Encoding.UTF8.GetBytes("SEND\ndestination:/queue/bench\nreceipt:12345\ncontent-length:100\n\n" + new string('x', 100) + "\0");
        var receipt = Encoding.UTF8.GetBytes("RECEIPT\nreceipt-id:12345\n\n\0");
        var into = new byte[64 * 1024];
        for (var round = 0; round < 2; round++)
        {
            long clientTicks = 0;
            long serverTicks = 0;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < trips; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                SendAll(client, send);
                var t1 = Stopwatch.GetTimestamp();
                ReceiveAll(server, into, send.Length);
                SendAll(server, receipt);
                var t2 = Stopwatch.GetTimestamp();
                ReceiveAll(client, into, receipt.Length);
                var t3 = Stopwatch.GetTimestamp();
                clientTicks += t1 - t0 + (t3 - t2);
                serverTicks += t2 - t1;
            }

            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            if (round == 1)
            {
                var inv = CultureInfo.InvariantCulture;
                double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / trips;
                Console.WriteLine(string.Format(inv, "BENCH tls-floor TlsTransport trips={0} client_us={1:F2} server_us={2:F2} cpu_us_per_trip={3:F2} protocol={4}",
                    trips, Us(clientTicks), Us(serverTicks), cpu.TotalMicroseconds / trips, client.Protocol));
            }
        }
    }

    private static void SendAll(EventLoop.ITransport transport, byte[] bytes)
    {
        for (var sent = 0; sent < bytes.Length;)
        {
            sent += transport.Send(bytes, sent, bytes.Length - sent);
        }
    }

    private static void ReceiveAll(EventLoop.ITransport transport, byte[] into, int count)
    {
        for (var got = 0; got < count;)
        {
            var n = transport.Receive(into, 0, into.Length);
            got += n > 0 ? n : throw new InvalidOperationException("Nothing to receive in the floor benchmark");
        }
    }

    private static void ReadAll(SslStream stream, byte[] into, int count)
    {
        var got = 0;
        while (got < count)
        {
            got += stream.Read(into, 0, into.Length);
        }
    }

    /// <summary>Bytes one side wrote and the other has not read; a read waits only during the handshake.</summary>
    private sealed class MemoryPipe
    {
        private readonly object _lock = new();
        private byte[] _bytes = new byte[64 * 1024];
        private int _start;
        private int _end;

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_lock)
            {
                if (_end + data.Length > _bytes.Length)
                {
                    var kept = _end - _start;
                    var bigger = new byte[Math.Max(_bytes.Length, 2 * (kept + data.Length))];
                    _bytes.AsSpan(_start, kept).CopyTo(bigger);
                    _bytes = bigger;
                    _start = 0;
                    _end = kept;
                }

                data.CopyTo(_bytes.AsSpan(_end));
                _end += data.Length;
                Monitor.PulseAll(_lock);
            }
        }

        public int Read(Span<byte> into)
        {
            lock (_lock)
            {
                while (_end == _start)
                {
                    Monitor.Wait(_lock);
                }

                var n = Math.Min(into.Length, _end - _start);
                _bytes.AsSpan(_start, n).CopyTo(into);
                _start += n;
                if (_start == _end)
                {
                    _start = _end = 0;
                }

                return n;
            }
        }
    }

    /// <summary>An in-memory byte stream that takes every send at once, without a copy per chunk or a pass of the loop per byte.</summary>
    private sealed class DirectTransport(EventLoop.Loop loop) : EventLoop.ITransport
    {
        private readonly MemoryPipe _inbound = new();
        private Action? _readable;
        private int _pending;

        public DirectTransport Peer { get; set; } = null!;

        public void Connect(string host, int port, Action<string?> completed) => completed(null);

        public void WatchRead(Action? onReadable)
        {
            _readable = onReadable;
            Notify();
        }

        public void WatchWrite(Action? onWritable)
        {
            if (onWritable is not null)
            {
                loop.Postpone(() => onWritable());
            }
        }

        public int Receive(byte[] buffer, int offset, int count)
        {
            if (_pending == 0)
            {
                return -1;
            }

            var n = _inbound.Read(buffer.AsSpan(offset, count));
            _pending -= n;
            return n;
        }

        public int Send(byte[] buffer, int offset, int count)
        {
            Peer._inbound.Write(buffer.AsSpan(offset, count));
            Peer._pending += count;
            Peer.Notify();
            return count;
        }

        public void Configure(bool noDelay, bool keepAlive)
        {
        }

        public void Dispose()
        {
        }

        private void Notify()
        {
            if (_readable is { } readable && _pending > 0)
            {
                loop.Postpone(() =>
                {
                    if (_readable == readable && _pending > 0)
                    {
                        readable();
                    }
                });
            }
        }
    }

    private sealed class PipeEnd(MemoryPipe reading, MemoryPipe writing) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => reading.Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => reading.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(reading.Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.Run(() => reading.Read(buffer.AsSpan(offset, count)), cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => writing.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => writing.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writing.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
