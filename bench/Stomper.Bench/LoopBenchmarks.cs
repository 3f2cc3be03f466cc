using System.Net;
using System.Net.Sockets;
using EventLoop;

namespace Stomper.Bench;

/// <summary>The event loop on its own: timers, cross-thread posts, and the handle on loopback.</summary>
internal static class LoopBenchmarks
{
    public static void Run()
    {
        Timers();
        Posts();
        EchoRoundTrips();
        Bulk();
    }

    private static void Timers()
    {
        const int Rounds = 10;
        const int PerRound = 100_000;
        using var loop = new Loop();
        var random = new Random(1);
        var m = Measurement.Start();
        for (var round = 0; round < Rounds; round++)
        {
            var cv = loop.Cv();
            var left = PerRound;
            for (var i = 0; i < PerRound; i++)
            {
                loop.Timer(random.NextDouble() * 0.002, 0, () =>
                {
                    if (--left == 0)
                    {
                        cv.Send();
                    }
                });
            }

            cv.Recv();
        }

        m.Report("loop-timers", "EventLoop", Rounds * PerRound, "timers");
    }

    private static void Posts()
    {
        const int Count = 5_000_000;
        using var loop = new Loop();
        var cv = loop.Cv();
        var seen = 0;
        Action tick = () =>
        {
            if (++seen == Count)
            {
                cv.Send();
            }
        };
        var m = Measurement.Start();
        var producer = new Thread(() =>
        {
            for (var i = 0; i < Count; i++)
            {
                loop.Post(tick);
            }
        });
        producer.Start();
        cv.Recv();
        producer.Join();
        m.Report("loop-posts", "EventLoop", Count, "posts");
    }

    private static void EchoRoundTrips()
    {
        const int Count = 100_000;
        using var server = EchoServer.Start();
        using var loop = new Loop();
        var cv = loop.Cv();
        var message = new byte[64];
        var done = 0;
        using var client = new Handle(loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = server.Port,
            NoDelay = true,
            OnConnect = (h, _, _) => h.PushWrite(message),
            OnRead = h =>
            {
                if (h.ReadBuffer.Length < message.Length)
                {
                    return;
                }

                h.Consume(message.Length);
                if (++done == Count)
                {
                    cv.Send();
                    return;
                }

                h.PushWrite(message);
            },
            OnError = (_, _, error) => cv.Croak(error),
        });
        var m = Measurement.Start();
        cv.Recv();
        m.Report("handle-echo-rtt", "EventLoop", Count, "round_trips");
    }

    private static void Bulk()
    {
        const long Total = 2L * 1024 * 1024 * 1024;
        const int Chunk = 1024 * 1024;
        using var server = EchoServer.Start(discard: true);
        using var loop = new Loop();
        var cv = loop.Cv();
        var chunk = new byte[Chunk];
        long pushed = 0;
        Action<Handle> pushMore = h =>
        {
            // Keep a few chunks queued: enough to never starve the socket, bounded memory.
            while (pushed < Total && h.WriteBufferLength < 4 * Chunk)
            {
                h.PushWrite(chunk);
                pushed += Chunk;
            }

            if (pushed >= Total && h.WriteBufferLength == 0)
            {
                cv.Send();
            }
        };
        using var client = new Handle(loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = server.Port,
            OnConnect = (h, _, _) => h.OnDrain = pushMore,
            OnError = (_, _, error) => cv.Croak(error),
        });
        var m = Measurement.Start();
        cv.Recv();
        server.WaitForBytes(Total);
        m.Report("handle-bulk", "EventLoop", Total / Chunk, "MiB_chunks", Total);
    }

    /// <summary>An echo (or discard) server on its own loop and thread.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly Loop _loop = new();
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Thread _thread;
        private readonly CondVar _stop;
        private readonly bool _discard;
        private readonly List<Handle> _handles = [];
        private long _received;

        private EchoServer(bool discard)
        {
            _discard = discard;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            _stop = _loop.Cv();
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static EchoServer Start(bool discard = false) => new(discard);

        public void WaitForBytes(long total)
        {
            while (Interlocked.Read(ref _received) < total)
            {
                Thread.Sleep(1);
            }
        }

        public void Dispose()
        {
            _loop.Post(() => _stop.Send());
            _thread.Join();
            _listener.Dispose();
            _loop.Dispose();
        }

        private void Serve()
        {
            using var accept = _loop.Io(_listener, IoDirection.Read, () =>
            {
                var handle = new Handle(_loop, new SocketTransport(_loop, _listener.Accept()), new HandleOptions
                {
                    NoDelay = true,
                    OnRead = h =>
                    {
                        var n = h.ReadBuffer.Length;
                        if (!_discard)
                        {
                            h.PushWrite(h.ReadBuffer);
                        }

                        h.Consume(n);
                        Interlocked.Add(ref _received, n);
                    },
                    OnEof = h => h.Dispose(),
                    OnError = (h, _, _) => h.Dispose(),
                });
                _handles.Add(handle);
            });
            _stop.Recv();
            _handles.ForEach(h => h.Dispose());
        }
    }
}
