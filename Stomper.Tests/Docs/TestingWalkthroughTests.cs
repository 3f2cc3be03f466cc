using System.Net.Sockets;
using EventLoop;
using Moq;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Docs;

// The code of docs/testing.md. Each block of the document marked "compiled" appears here
// verbatim (up to indentation); DocsStayCompiledTests fails when one does not.

/// <summary>
/// Ported from OrderConsumer.pm: takes orders off a queue with client-individual acks,
/// ACKs an order once processed, and NACKs it (so the broker redelivers it) when
/// processing has not finished within five seconds.
/// </summary>
public sealed class OrderConsumer
{
    private readonly StomperClient _stomper;
    private readonly Action<Frame, Action> _process;

    public OrderConsumer(StomperClient stomper, Action<Frame, Action> process)
    {
        _stomper = stomper;
        _process = process;
        _stomper.Subscribe(new()
        {
            ["id"] = "orders",
            ["destination"] = "/queue/orders",
            ["ack"] = "client-individual",
        }, OnMessage);
    }

    private void OnMessage(Frame msg)
    {
        // my $timer; $timer = AE::timer 5, 0, sub { undef $timer; $stomper->nack(message => $msg) };
        TimerWatcher? timer = null;
        timer = AE.Timer(5, 0, () =>
        {
            timer = null;
            _stomper.Nack(new() { Message = msg });
        });

        _process(msg, () =>
        {
            if (timer is null)
            {
                return;   // too late: already NACKed
            }

            timer.Dispose();
            timer = null;
            _stomper.Ack(new() { Message = msg });
        });
    }
}

[TestFixture]
public sealed class OrderConsumerTests
{
    private FakeClock _clock = null!;
    private Loop _loop = null!;
    private IDisposable _aeScope = null!;
    private ScriptedStompServer _server = null!;
    private StomperClient _stomper = null!;
    private Action? _finish;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock();
        _loop = new Loop(_clock);
        _aeScope = AE.UseLoop(_loop);          // AE.Timer in OrderConsumer now runs on _loop
        _server = new ScriptedStompServer();
        _stomper = new StomperClient(new StomperOptions
        {
            Host = "broker.test",
            Transport = _server.Transport,     // no sockets; no Loop given: the scope's
        });
        _ = new OrderConsumer(_stomper, (msg, finish) => _finish = finish);
        _loop.RunPending();                    // connect, CONNECTED, SUBSCRIBE and its receipt
    }

    [TearDown]
    public void TearDown()
    {
        _stomper.Dispose();
        _aeScope.Dispose();
        _loop.Dispose();
    }

    [Test]
    public void An_order_processed_within_five_seconds_is_acked()
    {
        var order = _server.Connection.PushMessage("/queue/orders", "order 42");
        _loop.Advance(4.9);                    // processing takes 4.9 s of fake time
        _finish!();
        _loop.RunPending();

        var ack = _server.Connection.LastReceived;
        Assert.That(ack.Command, Is.EqualTo("ACK"));
        Assert.That(ack.Headers["id"], Is.EqualTo(order.Headers["ack"]));
    }

    [Test]
    public void An_order_still_processing_after_five_seconds_is_nacked_and_never_acked()
    {
        var order = _server.Connection.PushMessage("/queue/orders", "order 42");
        _loop.Advance(5);
        var nack = _server.Connection.LastReceived;
        _finish!();                            // finishes too late
        _loop.RunPending();

        Assert.That(nack.Command, Is.EqualTo("NACK"));
        Assert.That(nack.Headers["id"], Is.EqualTo(order.Headers["ack"]));
        Assert.That(_server.Connection.ReceivedBy("ACK"), Is.Empty);
    }

    [Test]
    public void A_subscription_the_broker_refuses_reaches_on_error_before_the_broker_closes()
    {
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Error };
        var errors = new List<string>();
        using var stomper = new StomperClient(new StomperOptions
        {
            Host = "broker.test",
            Transport = server.Transport,
            OnError = err => errors.Add(err.Message),
        });
        _ = new OrderConsumer(stomper, (msg, finish) => finish());
        _loop.RunPending();

        Assert.That(errors, Is.EqualTo(new[] { "Refused by the scripted server", "Connection closed by remote host." }));
    }
}

[TestFixture]
public sealed class WalkthroughClusterTests
{
    [Test]
    public void A_consumer_on_a_cluster_resubscribes_on_the_next_node_when_its_node_dies()
    {
        using var loop = new Loop(new FakeClock());
        var server = new ScriptedStompServer();    // one server, one node per host:port
        var bodies = new List<string>();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("mq1.test", 61613), new("mq2.test", 61613)],
            Random = new Random(1),                // mq1 first
            Loop = loop,
            Transport = server.Transport,
        });
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, msg => bodies.Add(msg.Body));
        loop.RunPending();

        server.Node("mq1.test", 61613).Kill();     // end-of-file now, refused from now on
        loop.RunPending();
        server.Node("mq2.test", 61613).Connection.PushMessage("/queue/a", "still here");
        loop.RunPending();

        Assert.That(bodies, Is.EqualTo(new[] { "still here" }));
    }
}

[TestFixture]
public sealed class WalkthroughMoqTests
{
    [Test]
    public void A_client_over_a_Moq_transport_reports_a_refused_connect()
    {
        using var loop = new Loop(new FakeClock());
        var transport = new Mock<ITransport>();
        transport.Setup(t => t.Connect("broker.test", 61613, It.IsAny<Action<string?>>()))
                 .Callback<string, int, Action<string?>>((_, _, done) => loop.Postpone(() => done("Connection refused")));
        var errors = new List<StompError>();
        using var stomper = new StomperClient(new StomperOptions
        {
            Host = "broker.test",
            Loop = loop,
            Transport = _ => transport.Object,
            OnError = errors.Add,
        });

        loop.RunPending();

        Assert.That(errors.Single().Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(errors.Single().Message, Is.EqualTo("Can't connect to broker.test:61613: Connection refused"));
        transport.Verify(t => t.Dispose(), Times.Once);
    }

    [Test]
    public void A_handle_reads_what_a_scripted_Moq_transport_returns()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var transport = new Mock<ITransport>();
        Action<string?>? connectDone = null;
        Action? readable = null;
        var reads = new Queue<byte[]?>();                 // null = end-of-file
        transport.Setup(t => t.Connect(It.IsAny<string>(), It.IsAny<int>(), It.IsAny<Action<string?>>()))
                 .Callback<string, int, Action<string?>>((_, _, done) => connectDone = done);
        transport.Setup(t => t.WatchRead(It.IsAny<Action?>())).Callback<Action?>(cb => readable = cb);
        transport.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
                 .Returns<byte[], int, int>((buffer, offset, count) =>
                 {
                     if (!reads.TryDequeue(out var next)) return -1;   // would block
                     if (next is null) return 0;                        // end-of-file
                     next.CopyTo(buffer, offset);
                     return next.Length;
                 });
        transport.Setup(t => t.Send(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
                 .Returns<byte[], int, int>((_, _, count) => count);   // takes everything
        var received = new List<string>();

        var handle = new Handle(loop, new HandleOptions
        {
            Host = "broker", Port = 61613,
            Transport = _ => transport.Object,
            OnRead = h => { received.Add(System.Text.Encoding.UTF8.GetString(h.ReadBuffer)); h.Consume(h.ReadBuffer.Length); },
            OnError = (h, fatal, message) => received.Add("error: " + message),
        });

        connectDone!(null);                              // or connectDone!("Connection refused")
        reads.Enqueue("CONNECTED\nversion:1.2\n\n\0"u8.ToArray());
        readable!();                                     // the socket "became readable"

        Assert.That(received, Is.EqualTo(new[] { "CONNECTED\nversion:1.2\n\n\0" }));
        handle.Dispose();
    }
}

[TestFixture]
public sealed class WalkthroughFakeBrokerTests
{
    [Test]
    public void A_client_sends_to_the_fake_broker_over_loopback()
    {
        using var broker = new FakeBroker().Start();     // 127.0.0.1, a free port, its own thread
        using var loop = new Loop();                     // real time: real sockets
        using var stomper = new StomperClient(new StomperOptions { Host = broker.Host, Port = broker.Port, Loop = loop });
        var sent = loop.Cv();
        stomper.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "hi" }, (receipt, err) => sent.Send(err));

        using var guard = loop.Timer(5, 0, () => sent.Croak("no receipt within 5 s"));
        Assert.That(sent.Recv()[0], Is.Null);            // runs the loop until the RECEIPT
        Assert.That(broker.WaitForFrame("SEND").Frame.Body, Is.EqualTo("hi"));
    }
}
