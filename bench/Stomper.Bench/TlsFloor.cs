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
    /// <summary>Blocks of trips run for each, alternately, so that the machine's load falls on both alike.</summary>
    private const int Blocks = 7;

    // The bench's frames: a SEND with a 100-byte body and a receipt, and its RECEIPT.
    private static readonly byte[] Send = Encoding.UTF8.GetBytes("SEND\ndestination:/queue/bench\nreceipt:12345\ncontent-length:100\n\n" + new string('x', 100) + "\0");
    private static readonly byte[] Receipt = Encoding.UTF8.GetBytes("RECEIPT\nreceipt-id:12345\n\n\0");

    /// <summary>SslStream alone, then the transport, block by block; prints the best and the median block of each (us per trip).</summary>
    public static void Run(int tripsPerBlock)
    {
        var certificates = new Stomper.Testing.TestCertificates();
        using var raw = new RawPair(certificates);
        using var transport = new TransportPair(certificates);
        var runs = new (string Name, Func<int, (long Client, long Server)> Block, List<double> Client, List<double> Server)[]
        {
            ("SslStream", raw.Trips, [], []),
            ("TlsTransport", transport.Trips, [], []),
        };
        foreach (var run in runs)
        {
            run.Block(tripsPerBlock);
        }

        for (var b = 0; b < Blocks; b++)
        {
            foreach (var run in runs)
            {
                var (client, server) = run.Block(tripsPerBlock);
                run.Client.Add(client * 1e6 / Stopwatch.Frequency / tripsPerBlock);
                run.Server.Add(server * 1e6 / Stopwatch.Frequency / tripsPerBlock);
            }
        }

        var inv = CultureInfo.InvariantCulture;
        foreach (var run in runs)
        {
            run.Client.Sort();
            run.Server.Sort();
            Console.WriteLine(string.Format(inv, "BENCH tls-floor {0} trips={1}x{2} client_us_best={3:F2} client_us_median={4:F2} server_us_best={5:F2} server_us_median={6:F2}",
                run.Name, Blocks, tripsPerBlock, run.Client[0], run.Client[Blocks / 2], run.Server[0], run.Server[Blocks / 2]));
        }
    }

    /// <summary>Two SslStreams over an in-memory pipe, the client reading through ReadAsync as the transport does.</summary>
    private sealed class RawPair : IDisposable
    {
        private readonly SslStream _client;
        private readonly SslStream _server;
        private readonly byte[] _into = new byte[16 * 1024];

        public RawPair(Stomper.Testing.TestCertificates certificates)
        {
            var toServer = new MemoryPipe();
            var toClient = new MemoryPipe();
            _client = new SslStream(new PipeEnd(toClient, toServer));
            _server = new SslStream(new PipeEnd(toServer, toClient));
            var serverUp = Task.Run(() => _server.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = certificates.Server }));
            _client.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            serverUp.GetAwaiter().GetResult();
        }

        public (long Client, long Server) Trips(int trips) => TimeTrips(
            trips,
            () => _client.Write(Send),
            () =>
            {
                for (var got = 0; got < Send.Length;)
                {
                    got += _server.Read(_into, 0, _into.Length);
                }

                _server.Write(Receipt);
            },
            () =>
            {
                // As the transport reads: through ReadAsync.
                for (var got = 0; got < Receipt.Length;)
                {
                    got += _client.ReadAsync(_into.AsMemory()).GetAwaiter().GetResult();
                }
            });

        public void Dispose()
        {
            _client.Dispose();
            _server.Dispose();
        }
    }

    /// <summary>
    /// Two <see cref="EventLoop.TlsTransport"/>s over an in-memory transport on one loop: the
    /// client's figure less SslStream's alone is what the transport adds (its ciphertext
    /// stream, reads completed inline, the copies).
    /// </summary>
    private sealed class TransportPair : IDisposable
    {
        private readonly EventLoop.Loop _loop = new();
        private readonly EventLoop.TlsTransport _client;
        private readonly EventLoop.TlsTransport _server;
        private readonly byte[] _into = new byte[64 * 1024];

        public TransportPair(Stomper.Testing.TestCertificates certificates)
        {
            var clientEnd = new DirectTransport(_loop);
            var serverEnd = new DirectTransport(_loop);
            clientEnd.Peer = serverEnd;
            serverEnd.Peer = clientEnd;
            _client = new EventLoop.TlsTransport(_loop, clientEnd, EventLoop.TlsMode.Connect, new EventLoop.TlsContext { CaCertificates = [certificates.Ca] }, innerConnected: true);
            _server = new EventLoop.TlsTransport(_loop, serverEnd, EventLoop.TlsMode.Accept, new EventLoop.TlsContext { ServerCertificate = certificates.Server }, innerConnected: true);
            var up = 0;
            string? failure = null;
            _client.Connect("127.0.0.1", 0, e => { up++; failure ??= e; });
            _server.Connect("127.0.0.1", 0, e => { up++; failure ??= e; });
            while (up < 2)
            {
                _loop.RunOnce(block: false);
            }

            if (failure is not null)
            {
                throw new InvalidOperationException(failure);
            }
        }

        public (long Client, long Server) Trips(int trips) => TimeTrips(
            trips,
            () => SendAll(_client, Send),
            () =>
            {
                ReceiveAll(_server, _into, Send.Length);
                SendAll(_server, Receipt);
            },
            () => ReceiveAll(_client, _into, Receipt.Length));

        public void Dispose()
        {
            _client.Dispose();
            _server.Dispose();
            _loop.Dispose();
        }
    }

    /// <summary>Times each side's share of <paramref name="trips"/> round trips, in stopwatch ticks.</summary>
    private static (long Client, long Server) TimeTrips(int trips, Action clientSends, Action serverAnswers, Action clientReads)
    {
        long client = 0;
        long server = 0;
        for (var i = 0; i < trips; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            clientSends();
            var t1 = Stopwatch.GetTimestamp();
            serverAnswers();
            var t2 = Stopwatch.GetTimestamp();
            clientReads();
            var t3 = Stopwatch.GetTimestamp();
            client += t1 - t0 + (t3 - t2);
            server += t2 - t1;
        }

        return (client, server);
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
