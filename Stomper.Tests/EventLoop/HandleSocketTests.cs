using System.Net;
using System.Net.Sockets;
using System.Text;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>The handle over real loopback sockets.</summary>
[TestFixture]
public sealed class HandleSocketTests
{
    private Loop _loop = null!;
    private Socket _listener = null!;

    [SetUp]
    public void SetUp()
    {
        _loop = new Loop();
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
    }

    [TearDown]
    public void TearDown()
    {
        _listener.Dispose();
        _loop.Dispose();
    }

    private int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    [Test]
    public void Bytes_pushed_by_the_client_come_back_from_an_echo_server_through_the_handle()
    {
        var cv = _loop.Cv();
        Handle? server = null;
        using var accept = _loop.Io(_listener, IoDirection.Read, () =>
        {
            server = new Handle(_loop, new SocketTransport(_loop, _listener.Accept()), new HandleOptions
            {
                OnRead = h =>
                {
                    h.PushWrite(h.ReadBuffer);
                    h.Consume(h.ReadBuffer.Length);
                },
                OnEof = h => h.Dispose(),
            });
        });
        var received = new StringBuilder();
        string? connectedTo = null;
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            OnConnect = (h, host, port) => connectedTo = $"{host}:{port}",
            OnRead = h =>
            {
                received.Append(Encoding.UTF8.GetString(h.ReadBuffer));
                h.Consume(h.ReadBuffer.Length);
                if (received.ToString() == "hello, world")
                {
                    cv.Send();
                }
            },
            OnError = (_, _, message) => cv.Croak(message),
        });
        client.PushWrite("hello, ");
        client.PushWrite("world"u8);

        cv.Recv();

        Assert.That(connectedTo, Is.EqualTo($"127.0.0.1:{Port}"));
        Assert.That(received.ToString(), Is.EqualTo("hello, world"));
        server?.Dispose();
    }

    [Test]
    public void A_host_name_is_resolved_without_blocking_the_loop()
    {
        var cv = _loop.Cv();
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "localhost",
            Port = Port,
            OnConnect = (_, _, _) => cv.Send("connected"),
            OnConnectError = (_, message) => cv.Send(message),
        });

        Assert.That(cv.Recv<string>(), Is.EqualTo("connected"));
    }

    [Test]
    public void An_IPv6_address_connects_as_well_as_an_IPv4_one()
    {
        using var listener6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener6.Listen();
        var cv = _loop.Cv();
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "::1",
            Port = ((IPEndPoint)listener6.LocalEndPoint!).Port,
            OnConnect = (_, host, _) => cv.Send("connected to " + host),
            OnConnectError = (_, message) => cv.Send(message),
        });

        Assert.That(cv.Recv<string>(), Is.EqualTo("connected to ::1"));
    }

    [Test]
    public void A_refused_connect_reports_the_system_reason_to_on_connect_error()
    {
        var cv = _loop.Cv();
        var closedPort = Port;
        _listener.Dispose();
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = closedPort,
            OnConnect = (_, _, _) => cv.Send("connected?!"),
            OnConnectError = (_, message) => cv.Send(message),
        });

        Assert.That(cv.Recv<string>(), Is.EqualTo("Connection refused"));
        Assert.That(client.IsDestroyed, Is.True);
    }

    [Test]
    public void A_connect_that_is_never_answered_times_out_after_the_prepare_timeout()
    {
        // A listener whose accept queue is full drops further handshakes, so the
        // connect hangs as it would against a dead host, on loopback only.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(0);
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(full.LocalEndPoint!);
            }
            catch (SocketException)
            {
                // In progress: exactly what fills the queue.
            }

            fillers.Add(filler);
        }

        var cv = _loop.Cv();
        var prepared = false;
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)full.LocalEndPoint!).Port,
            OnPrepare = _ =>
            {
                prepared = true;
                return 0.3;
            },
            OnConnect = (_, _, _) => cv.Send("connected?!"),
            OnConnectError = (_, message) => cv.Send(message),
        });

        Assert.That(cv.Recv<string>(), Is.EqualTo("Connection timed out"));
        Assert.That(prepared, Is.True);
        fillers.ForEach(f => f.Dispose());
    }

    [Test]
    public void The_peer_closing_the_connection_is_reported_by_on_eof_after_the_last_read()
    {
        var cv = _loop.Cv();
        var trace = new List<string>();
        using var accept = _loop.Io(_listener, IoDirection.Read, () =>
        {
            using var peer = _listener.Accept();
            peer.Send("last words"u8);
            peer.Shutdown(SocketShutdown.Both);
        });
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            OnRead = h =>
            {
                trace.Add(Encoding.ASCII.GetString(h.ReadBuffer));
                h.Consume(h.ReadBuffer.Length);
            },
            OnEof = _ =>
            {
                trace.Add("eof");
                cv.Send();
            },
        });

        cv.Recv();

        Assert.That(trace, Is.EqualTo(new[] { "last words", "eof" }));
    }

    [Test]
    public void A_silent_peer_trips_the_read_timeout()
    {
        var cv = _loop.Cv();
        Socket? peer = null;
        using var accept = _loop.Io(_listener, IoDirection.Read, () => peer = _listener.Accept());
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            RTimeout = 0.2,
            OnError = (_, fatal, message) => cv.Send(fatal, message),
        });

        var result = cv.Recv();

        Assert.That(result, Is.EqualTo(new object[] { true, "Connection timed out" }));
        peer?.Dispose();
    }

    [Test]
    public void A_64_MiB_write_drains_completely_and_on_drain_fires_once_it_is_all_sent()
    {
        const int Size = 64 * 1024 * 1024;
        var cv = _loop.Cv();
        cv.Begin();
        cv.Begin();
        long receivedBytes = 0;
        long checksum = 0;
        Handle? server = null;
        using var accept = _loop.Io(_listener, IoDirection.Read, () =>
        {
            server = new Handle(_loop, new SocketTransport(_loop, _listener.Accept()), new HandleOptions
            {
                OnRead = h =>
                {
                    foreach (var b in h.ReadBuffer)
                    {
                        checksum += b;
                    }

                    receivedBytes += h.ReadBuffer.Length;
                    h.Consume(h.ReadBuffer.Length);
                    if (receivedBytes == Size)
                    {
                        cv.End();
                    }
                },
            });
        });
        var payload = new byte[Size];
        new Random(42).NextBytes(payload);
        var expectedChecksum = payload.Sum(b => (long)b);
        var drains = 0;
        var bufferedAfterPush = 0;
        using var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            OnConnect = (h, _, _) =>
            {
                h.PushWrite(payload);
                bufferedAfterPush = h.WriteBufferLength;
                h.OnDrain = d =>
                {
                    drains++;
                    cv.End();
                };
            },
            OnError = (_, _, message) => cv.Croak(message),
        });

        cv.Recv();

        Assert.That(bufferedAfterPush, Is.GreaterThan(0), "the kernel cannot take 64 MiB at once, so backpressure shows");
        Assert.That(drains, Is.EqualTo(1));
        Assert.That(receivedBytes, Is.EqualTo(Size));
        Assert.That(checksum, Is.EqualTo(expectedChecksum));
        Assert.That(client.WriteBufferLength, Is.Zero);
        server?.Dispose();
    }

    [Test]
    public void Data_left_in_the_write_buffer_is_still_delivered_after_dispose_when_lingering()
    {
        const int Size = 8 * 1024 * 1024;
        var cv = _loop.Cv();
        long received = 0;
        Handle? server = null;
        using var accept = _loop.Io(_listener, IoDirection.Read, () =>
        {
            server = new Handle(_loop, new SocketTransport(_loop, _listener.Accept()), new HandleOptions
            {
                OnRead = h =>
                {
                    received += h.ReadBuffer.Length;
                    h.Consume(h.ReadBuffer.Length);
                },
                OnEof = h => cv.Send(),
            });
        });
        var errors = 0;
        var client = new Handle(_loop, new HandleOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            Linger = 30,
            OnError = (_, _, _) => errors++,
            OnConnect = (h, _, _) =>
            {
                h.PushWrite(new byte[Size]);
                h.Dispose();
            },
        });

        cv.Recv();

        Assert.That(received, Is.EqualTo(Size));
        Assert.That(errors, Is.Zero);
        Assert.That(client.IsDestroyed, Is.True);
        server?.Dispose();
    }
}
