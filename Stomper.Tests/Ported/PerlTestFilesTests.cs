using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Ported;

/// <summary>
/// The facts of the Perl distribution's own t/00-base, t/01-accessors, t/02-exceptions and
/// t/03-error-codes that the other test files do not already state, through the public API.
/// </summary>
[TestFixture]
public sealed class PerlTestFilesTests
{
    private Loop _loop = null!;

    [SetUp]
    public void SetUp() => _loop = new Loop(new FakeClock());

    [TearDown]
    public void TearDown() => _loop.Dispose();

    private StomperClient Lazy(double? connectionTimeout = null, double? reconnectInterval = null) => new(new()
    {
        Host = "somehost",
        Port = 1234,
        Loop = _loop,
        Lazy = true,
        ConnectionTimeout = connectionTimeout,
        ReconnectInterval = reconnectInterval,
    });

    // ---- t/00-base.t ---------------------------------------------------------------

    [Test]
    public void The_client_the_cluster_the_frame_and_the_error_classes_load_and_construct()
    {
        using var client = Lazy();
        using var cluster = new StomperCluster(new ClusterOptions { Nodes = [new("somehost", 1234)], Loop = _loop });
        var frame = new Frame("MESSAGE", new FrameHeaders(("message-id", "1")), "body");
        var error = new StompError("Some error", E_IO);

        Assert.That(client, Is.InstanceOf<IStomperClient>());
        Assert.That(cluster.Nodes().Single(), Is.InstanceOf<StomperClient>());
        Assert.That((frame.Command, error.Code), Is.EqualTo(("MESSAGE", E_IO)));
        Assert.That(client.IsConnected, Is.False, "a lazy client does not connect on its own");
    }

    // ---- t/01-accessors.t ------------------------------------------------------------

    [Test]
    public void Host_and_port_read_back_as_given()
    {
        using var client = Lazy();

        Assert.That((client.Host, client.Port), Is.EqualTo(("somehost", 1234)));
    }

    [Test]
    public void Connection_timeout_reads_and_writes_fractional_seconds()
    {
        using var client = Lazy(connectionTimeout: 10);
        Assert.That(client.ConnectionTimeout, Is.EqualTo(10));

        client.ConnectionTimeout = 15.5;
        Assert.That(client.ConnectionTimeout, Is.EqualTo(15.5));

        client.ConnectionTimeout = 0;
        Assert.That(client.ConnectionTimeout, Is.Zero, "zero is not negative, so the original accepts it");
    }

    [Test]
    public void Reconnect_interval_reads_and_writes_fractional_seconds()
    {
        using var client = Lazy(reconnectInterval: 5);
        Assert.That(client.ReconnectInterval, Is.EqualTo(5));

        client.ReconnectInterval = 0.25;
        Assert.That(client.ReconnectInterval, Is.EqualTo(0.25));
    }

    [Test]
    public void On_connect_on_disconnect_and_on_error_read_and_write_and_null_clears_all_but_on_error()
    {
        using var client = Lazy();
        Action onConnect = () => { };
        Action onDisconnect = () => { };
        Action<StompError> onError = _ => { };

        client.OnConnect = onConnect;
        client.OnDisconnect = onDisconnect;
        client.OnError = onError;
        Assert.That((client.OnConnect, client.OnDisconnect, client.OnError), Is.EqualTo((onConnect, onDisconnect, onError)));

        client.OnConnect = null;
        client.OnDisconnect = null;
        client.OnError = null;
        Assert.That((client.OnConnect, client.OnDisconnect), Is.EqualTo(((Action?)null, (Action?)null)));
        Assert.That(client.OnError, Is.Not.Null.And.Not.SameAs(onError), "on_error falls back to the default");
    }

    [Test]
    public void The_callbacks_given_to_the_constructor_read_back()
    {
        Action onConnect = () => { };
        Action onDisconnect = () => { };
        Action<StompError> onError = _ => { };

        using var client = new StomperClient(new() { Loop = _loop, Lazy = true, OnConnect = onConnect, OnDisconnect = onDisconnect, OnError = onError });

        Assert.That((client.OnConnect, client.OnDisconnect, client.OnError), Is.EqualTo((onConnect, onDisconnect, onError)));
    }

    [Test]
    public void The_clusters_on_error_reads_and_writes_and_null_restores_the_default()
    {
        Action<StompError> onError = _ => { };
        using var cluster = new StomperCluster(new ClusterOptions { Nodes = [new("somehost", 1234)], Loop = _loop, OnError = onError });
        Assert.That(cluster.OnError, Is.SameAs(onError));

        Action<StompError> other = _ => { };
        cluster.OnError = other;
        Assert.That(cluster.OnError, Is.SameAs(other));

        cluster.OnError = null;
        Assert.That(cluster.OnError, Is.Not.Null.And.Not.SameAs(other));
    }

    [Test]
    public void A_frame_reads_back_its_command_headers_and_body()
    {
        var frame = new Frame("MESSAGE", new FrameHeaders(("subscription", "foo"), ("message-id", "123")), "Hello, world!");

        Assert.That(frame.Command, Is.EqualTo("MESSAGE"));
        Assert.That((frame.Headers["subscription"], frame.Headers["message-id"]), Is.EqualTo(("foo", "123")));
        Assert.That(frame.Body, Is.EqualTo("Hello, world!"));
    }

    // ---- t/02-exceptions.t -------------------------------------------------------------

    [Test]
    public void Every_croak_of_the_constructors_setters_and_commands_carries_the_original_text()
    {
        var croaks = new (TestDelegate Call, string Text)[]
        {
            (() => Lazy(connectionTimeout: -5), "\"connection_timeout\" must be a positive number"),
            (() => Lazy(connectionTimeout: double.NaN), "\"connection_timeout\" must be a positive number"),
            (() => Lazy().ConnectionTimeout = -5, "\"connection_timeout\" must be a positive number"),
            (() => Lazy(reconnectInterval: -5), "\"reconnect_interval\" must be a positive number"),
            (() => Lazy(reconnectInterval: double.NaN), "\"reconnect_interval\" must be a positive number"),
            (() => Lazy().ReconnectInterval = -5, "\"reconnect_interval\" must be a positive number"),
            (() => new StomperClient(new() { Loop = _loop, Lazy = true, Heartbeat = [] }), "\"heartbeat\" must be specified as array reference"),
            (() => new StomperClient(new() { Loop = _loop, Lazy = true, Heartbeat = [1, 2, 3] }), "\"heartbeat\" must be specified as array reference"),
            (() => new StomperClient(new() { Loop = _loop, Lazy = true, Heartbeat = [0, -1] }), "\"heartbeat\" values must be an integer numbers"),
            (() => Lazy().Subscribe(new() { ["id"] = "foo", ["destination"] = "/queue/foo" }), "\"on_message\" callback must be specified"),
            (() => Lazy().Execute("subscribe", new() { ["destination"] = "/queue/foo" }), "\"on_message\" callback must be specified"),
            (() => Lazy().Ack(new() { ["subscription"] = "foo" }), "\"message\" parameter must be specified"),
            (() => Lazy().Nack(new() { ["subscription"] = "foo" }), "\"message\" parameter must be specified"),
            (() => _ = new StomperCluster(new ClusterOptions { Loop = _loop }), "Nodes not specified"),
            (() => _ = new StomperCluster(new ClusterOptions { Loop = _loop, Nodes = [new("", 1)] }), "Nodes must be specified as array reference"),
            (() => _ = new StomperCluster(new ClusterOptions { Loop = _loop, Nodes = [] }), "Specified empty list of nodes"),
            (() => _ = new StomperCluster(new ClusterOptions { Loop = _loop, Nodes = [new("a", 1)], ConnectionTimeout = -1 }), "\"connection_timeout\" must be a positive number"),
        };

        Assert.Multiple(() =>
        {
            foreach (var (call, text) in croaks)
            {
                Assert.That(call, Throws.ArgumentException.With.Message.EqualTo(text));
            }
        });
    }

    [Test]
    public void A_failed_setter_keeps_the_previous_value()
    {
        using var client = Lazy(connectionTimeout: 3, reconnectInterval: 4);

        Assert.That(() => client.ConnectionTimeout = -1, Throws.ArgumentException);
        Assert.That(() => client.ReconnectInterval = -1, Throws.ArgumentException);

        Assert.That((client.ConnectionTimeout, client.ReconnectInterval), Is.EqualTo(((double?)3, (double?)4)));
    }

    // ---- t/03-error-codes.t ----------------------------------------------------------------

    [Test]
    public void The_error_code_constants_are_named_as_in_Perl_and_numbered_1_to_7_in_that_order()
    {
        // The codes beyond the original (E_RECEIPT_TIMEDOUT, 8, on) come after Perl's seven.
        Assert.That(Enum.GetNames<ErrorCode>().Take(7), Is.EqualTo(new[]
        {
            "E_CANT_CONN", "E_IO", "E_CONN_CLOSED_BY_REMOTE_HOST", "E_CONN_CLOSED_BY_CLIENT",
            "E_OPRN_ERROR", "E_UNEXPECTED_DATA", "E_READ_TIMEDOUT",
        }));
        Assert.That(Enum.GetValues<ErrorCode>().Select(c => (int)c).Take(7), Is.EqualTo(Enumerable.Range(1, 7)));
        Assert.That(Enum.GetValues<ErrorCode>().Skip(7).All(c => (int)c > 7), Is.True);
    }
}
