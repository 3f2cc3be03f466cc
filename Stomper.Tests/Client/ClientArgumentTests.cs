using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>The original's argument checks, to the letter (its t/ tests of the constructor and accessors).</summary>
[TestFixture]
public sealed class ClientArgumentTests
{
    private Loop _loop = null!;

    [SetUp]
    public void SetUp() => _loop = new Loop(new FakeClock());

    [TearDown]
    public void TearDown() => _loop.Dispose();

    [Test]
    public void A_heartbeat_that_is_not_a_pair_is_refused()
    {
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, Heartbeat = [1000] }),
            Throws.ArgumentException.With.Message.EqualTo("\"heartbeat\" must be specified as array reference"));
    }

    [Test]
    public void Negative_heartbeat_values_are_refused()
    {
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, Heartbeat = [-1, 0] }),
            Throws.ArgumentException.With.Message.EqualTo("\"heartbeat\" values must be an integer numbers"));
    }

    [Test]
    public void Command_headers_without_a_table_are_refused()
    {
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, CommandHeaders = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["SEND"] = null! } }),
            Throws.ArgumentException.With.Message.EqualTo("\"command_headers\" must be specified as hash reference"));
    }

    [Test]
    public void Negative_timeouts_are_refused_in_the_constructor_and_in_the_setters_and_null_restores_the_default()
    {
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, ConnectionTimeout = -1 }),
            Throws.ArgumentException.With.Message.EqualTo("\"connection_timeout\" must be a positive number"));
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, ReconnectInterval = -1 }),
            Throws.ArgumentException.With.Message.EqualTo("\"reconnect_interval\" must be a positive number"));

        using var client = new StomperClient(new() { Loop = _loop, Lazy = true, ConnectionTimeout = 10.5, ReconnectInterval = 5 });
        Assert.That(() => client.ConnectionTimeout = -2, Throws.ArgumentException.With.Message.EqualTo("\"connection_timeout\" must be a positive number"));
        Assert.That(() => client.ReconnectInterval = -2, Throws.ArgumentException.With.Message.EqualTo("\"reconnect_interval\" must be a positive number"));
        Assert.That((client.ConnectionTimeout, client.ReconnectInterval), Is.EqualTo(((double?)10.5, (double?)5)));

        client.ConnectionTimeout = null;
        client.ReconnectInterval = null;
        Assert.That((client.ConnectionTimeout, client.ReconnectInterval), Is.EqualTo(((double?)null, (double?)null)));
    }

    [Test]
    public void SUBSCRIBE_without_on_message_and_ACK_without_a_message_are_refused()
    {
        using var client = new StomperClient(new() { Loop = _loop, Lazy = true });

        Assert.That(() => client.Subscribe(new() { ["destination"] = "/queue/a" }),
            Throws.ArgumentException.With.Message.EqualTo("\"on_message\" callback must be specified"));
        Assert.That(() => client.Ack(new()), Throws.ArgumentException.With.Message.EqualTo("\"message\" parameter must be specified"));
        Assert.That(() => client.Nack(new()), Throws.ArgumentException.With.Message.EqualTo("\"message\" parameter must be specified"));
    }

    [TestCase(0, "\"port\" must be an integer from 1 to 65535, not 0")]
    [TestCase(70000, "\"port\" must be an integer from 1 to 65535, not 70000")]
    public void A_port_out_of_range_is_refused_by_the_constructor(int port, string message)
    {
        Assert.That(() => new StomperClient(new() { Loop = _loop, Lazy = true, Port = port }),
            Throws.ArgumentException.With.Message.EqualTo(message));
    }

    [Test]
    public void Every_other_bad_option_is_refused_by_the_constructor_before_anything_starts()
    {
        var transports = 0;
        StomperClient Make(StomperOptions o) => new(new()
        {
            Loop = _loop, Lazy = true, Transport = _ => { transports++; return new Stomper.Tests.EventLoop.ScriptedTransport().Mock.Object; },
            Host = o.Host, Login = o.Login, Passcode = o.Passcode, Vhost = o.Vhost, HandleParams = o.HandleParams,
        });

        Assert.That(() => Make(new() { Host = "" }), Throws.ArgumentException.With.Message.EqualTo("\"host\" must be a host name or an IP address"));
        Assert.That(() => Make(new() { Host = null! }), Throws.ArgumentException.With.Message.EqualTo("\"host\" must be a host name or an IP address"));
        Assert.That(() => Make(new() { HandleParams = new() { ReadSize = 0 } }), Throws.ArgumentException.With.Message.EqualTo("\"read_size\" must be a positive integer"));
        Assert.That(() => Make(new() { HandleParams = new() { WbufMax = -1 } }), Throws.ArgumentException.With.Message.EqualTo("\"wbuf_max\" must be 0 (no limit) or a positive integer"));
        Assert.That(() => Make(new() { HandleParams = new() { Linger = -1 } }), Throws.ArgumentException.With.Message.EqualTo("\"linger\" must be a positive number"));
        Assert.That(() => Make(new() { Login = "a\nb" }), Throws.ArgumentException.With.Message.EqualTo("\"login\" cannot contain a line break: CONNECT frames are not escaped"));
        Assert.That(() => Make(new() { Passcode = "a\rb" }), Throws.ArgumentException.With.Message.EqualTo("\"passcode\" cannot contain a line break: CONNECT frames are not escaped"));
        Assert.That(() => Make(new() { Vhost = "/\n" }), Throws.ArgumentException.With.Message.EqualTo("\"vhost\" cannot contain a line break: CONNECT frames are not escaped"));
        Assert.That(transports, Is.Zero);
    }

    [Test]
    public void A_constructor_whose_connect_throws_leaves_nothing_armed_to_report_later()
    {
        var errors = new List<string>();
        Assert.That(() => new StomperClient(new()
        {
            Loop = _loop, ConnectionTimeout = 1, OnError = e => errors.Add(e.Message),
            Transport = _ => throw new InvalidOperationException("no transport"),
        }), Throws.InvalidOperationException);

        ((FakeClock)_loop.Clock).Advance(5);
        _loop.RunOnce(block: false);

        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void A_lazy_client_whose_connect_throws_keeps_no_command_queued_and_tries_again_on_the_next()
    {
        var attempts = 0;
        var sent = new List<string>();
        var transport = new Stomper.Tests.EventLoop.ScriptedTransport();
        using var client = new StomperClient(new()
        {
            Loop = _loop, Lazy = true, OnError = _ => { },
            Transport = _ => ++attempts == 1 ? throw new InvalidOperationException("no transport") : transport.Mock.Object,
        });

        Assert.That(() => client.Send(new() { ["destination"] = "/queue/a", Body = "lost" }), Throws.InvalidOperationException);
        client.Send(new() { ["destination"] = "/queue/a", Body = "kept" });
        transport.ConnectCompleted!(null);
        transport.Arrive("CONNECTED\nversion:1.2\n\n\0");

        Assert.That(attempts, Is.EqualTo(2));
        Assert.That(transport.SentText, Does.Contain("kept").And.Not.Contain("lost"));
    }

    [TestCase("CONNECT")]
    [TestCase("stomp")]
    public void Executing_CONNECT_says_it_is_the_clients_own_command_not_an_unknown_one(string command)
    {
        using var client = new StomperClient(new() { Loop = _loop, Lazy = true });

        Assert.That(() => client.Execute(command, new()), Throws.ArgumentException.With.Message.EqualTo(
            $"STOMP command \"{command.ToUpperInvariant()}\" is sent by the client itself when it connects and cannot be executed"));
    }

    [Test]
    public void A_command_is_taken_in_any_case_and_written_in_upper_case_and_an_unknown_one_is_named_as_given()
    {
        var transport = new Stomper.Tests.EventLoop.ScriptedTransport();
        using var client = new StomperClient(new() { Loop = _loop, Lazy = true, OnError = _ => { }, Transport = _ => transport.Mock.Object });

        client.Execute("send", new() { ["destination"] = "/queue/a", Body = "lower" });
        client.Execute("Send", new() { ["destination"] = "/queue/a", Body = "mixed" });
        client.Execute("SEND", new() { ["destination"] = "/queue/a", Body = "upper" });
        transport.ConnectCompleted!(null);
        transport.Arrive("CONNECTED\nversion:1.2\n\n\0");

        Assert.That(transport.SentText.Split("SEND\n").Length - 1, Is.EqualTo(3));
        Assert.That(transport.SentText, Does.Contain("lower").And.Contain("mixed").And.Contain("upper").And.Not.Contain("send\n"));
        Assert.That(() => client.Execute("sendx", new()), Throws.ArgumentException.With.Message.EqualTo("Unknown STOMP command \"sendx\""));
    }

    [Test]
    public void Host_and_port_default_to_localhost_61613_and_the_callbacks_are_read_write()
    {
        using var client = new StomperClient(new() { Loop = _loop, Lazy = true });
        Action onConnect = () => { };
        Action<StompError> onError = _ => { };

        client.OnConnect = onConnect;
        client.OnError = onError;

        Assert.That((client.Host, client.Port), Is.EqualTo(("localhost", 61613)));
        Assert.That(client.OnConnect, Is.SameAs(onConnect));
        Assert.That(client.OnError, Is.SameAs(onError));
    }

    [Test]
    public void Setting_on_error_to_null_restores_the_default_that_writes_to_standard_error()
    {
        using var client = new StomperClient(new() { Loop = _loop, Lazy = true });
        client.OnError = null;
        var saved = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            client.OnError!(new StompError("boom", ErrorCode.E_IO));
        }
        finally
        {
            Console.SetError(saved);
        }

        Assert.That(captured.ToString(), Is.EqualTo("boom" + Environment.NewLine));
    }

    [Test]
    public void Disposing_a_client_with_work_pending_warns_for_each_command_and_calls_no_callback()
    {
        var calls = 0;
        var client = new StomperClient(new() { Loop = _loop, Lazy = true, Transport = _ => new ScriptedTransportFactory().Create() });
        client.Send(new() { ["destination"] = "/queue/a" }, (_, _) => calls++);
        client.Subscribe(new() { ["destination"] = "/queue/a" }, _ => calls++);

        var warnings = CapturedError(client.Dispose);

        Assert.That(warnings, Is.EqualTo(new[]
        {
            "Operation \"SEND\" aborted: Client object destroyed prematurely.",
            "Operation \"SUBSCRIBE\" aborted: Client object destroyed prematurely.",
        }));
        Assert.That(calls, Is.Zero);
    }

    private sealed class ScriptedTransportFactory
    {
        public ITransport Create() => new Stomper.Tests.EventLoop.ScriptedTransport().Mock.Object;
    }

    [Test]
    public void Disposing_the_client_inside_on_error_warns_for_each_command_left_unanswered()
    {
        StomperClient? client = null;
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            OnError = _ => client!.Dispose(),
        }));
        client = h.Client;
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, h.Record("send"));
        h.Client.Begin(new() { ["transaction"] = "t1", ["receipt"] = "auto" }, h.Record("begin"));

        var warnings = CapturedError(() =>
        {
            h.Transport.ArriveEof();
            h.Step();
        });

        Assert.That(warnings, Is.EqualTo(new[]
        {
            "Operation \"SEND\" aborted: Client object destroyed prematurely.",
            "Operation \"BEGIN\" aborted: Client object destroyed prematurely.",
        }));
    }

    [Test]
    public void A_failure_decided_before_Dispose_is_warned_about_like_any_command_still_pending()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("first"));
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("second"));

        var warnings = CapturedError(() =>
        {
            h.Client.Dispose();
            h.Step();
        });

        Assert.That(warnings, Is.EqualTo(new[]
        {
            "Operation \"SEND\" aborted: Client object destroyed prematurely.",
            "Operation \"SEND\" aborted: Client object destroyed prematurely.",
        }));
    }

    private static string[] CapturedError(Action action)
    {
        var saved = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            action();
        }
        finally
        {
            Console.SetError(saved);
        }

        return captured.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }
}
