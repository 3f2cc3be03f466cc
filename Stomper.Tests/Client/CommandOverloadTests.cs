using NUnit.Framework;
using Stomper.Tests.Cluster;

namespace Stomper.Tests.Client;

/// <summary>
/// The callback-only forms of the command methods, Perl's <c>$stomper-&gt;disconnect( sub { ... } )</c>:
/// which frame goes out and which callback hears of it.
/// </summary>
[TestFixture]
public sealed class CommandOverloadTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> s_commandHeaders =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["SEND"] = new Dictionary<string, string> { ["destination"] = "/queue/a" },
            ["SUBSCRIBE"] = new Dictionary<string, string> { ["id"] = "sub-1", ["destination"] = "/queue/a" },
            ["UNSUBSCRIBE"] = new Dictionary<string, string> { ["id"] = "sub-1" },
            ["BEGIN"] = new Dictionary<string, string> { ["transaction"] = "tx1" },
            ["COMMIT"] = new Dictionary<string, string> { ["transaction"] = "tx1" },
            ["ABORT"] = new Dictionary<string, string> { ["transaction"] = "tx1" },
        };

    [Test]
    public void Disconnect_with_a_lone_callback_writes_a_receipted_DISCONNECT_and_hands_the_RECEIPT_to_that_callback()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Disconnect(h.Record("disconnect"));
        var sent = h.LastSent();
        Assert.That(sent.Command, Is.EqualTo("DISCONNECT"));
        Assert.That(OwnHeaderNames(sent), Is.EqualTo(new[] { "receipt" }));

        h.Transport.Arrive($"RECEIPT\nreceipt-id:{sent.Headers["receipt"]}\n\n\0");

        Assert.That(h.Trace, Does.Contain($"disconnect: receipt {sent.Headers["receipt"]}"));
        Assert.That(h.Client.IsConnected, Is.False);
    }

    [Test]
    public void Execute_with_a_lone_callback_runs_the_named_command_with_that_callback()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Execute("disconnect", h.Record("disconnect"));
        var sent = h.LastSent();
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{sent.Headers["receipt"]}\n\n\0");

        Assert.That(sent.Command, Is.EqualTo("DISCONNECT"));
        Assert.That(h.Trace, Does.Contain($"disconnect: receipt {sent.Headers["receipt"]}"));
    }

    [TestCase("SEND")]
    [TestCase("BEGIN")]
    [TestCase("COMMIT")]
    [TestCase("ABORT")]
    public void A_lone_callback_command_takes_its_headers_from_command_headers_and_hears_once_written(string command)
    {
        using var h = WithCommandHeaders();
        h.Connect();
        Action<Action<Frame?, StompError?>> run = command switch
        {
            "SEND" => h.Client.Send,
            "BEGIN" => h.Client.Begin,
            "COMMIT" => h.Client.Commit,
            _ => h.Client.Abort,
        };

        run(h.Record(command));
        h.Step();

        var sent = h.LastSent();
        Assert.That(sent.Command, Is.EqualTo(command));
        Assert.That(OwnHeaderNames(sent), Is.EqualTo(s_commandHeaders[command].Keys.ToArray()));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", $"{command}: sent" }));
    }

    [Test]
    public void Subscribe_with_a_lone_callback_makes_it_the_message_callback_as_the_original_does()
    {
        using var h = WithCommandHeaders();
        h.Connect();

        h.Client.Subscribe(msg => h.Trace.Add("message: " + msg.Body));
        var subscribe = h.LastSent();
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{subscribe.Headers["receipt"]}\n\n\0");
        h.Transport.Arrive("MESSAGE\nsubscription:sub-1\nmessage-id:m1\ndestination:/queue/a\n\nhello\0");

        Assert.That(subscribe.Command, Is.EqualTo("SUBSCRIBE"));
        Assert.That((subscribe.Headers["id"], subscribe.Headers["destination"]), Is.EqualTo(("sub-1", "/queue/a")));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "message: hello" }));
    }

    [Test]
    public void Subscribe_with_a_trailing_message_callback_leaves_the_callers_parameters_as_they_were()
    {
        using var h = new ClientHarness();
        h.Connect();
        var template = new CommandParams { ["id"] = "sub-1", ["destination"] = "/queue/a", OnReceipt = h.Record("subscribe") };

        h.Client.Subscribe(template, msg => h.Trace.Add("message: " + msg.Body));
        var subscribe = h.LastSent();
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{subscribe.Headers["receipt"]}\n\n\0");
        h.Transport.Arrive("MESSAGE\nsubscription:sub-1\nmessage-id:m1\ndestination:/queue/a\n\nhello\0");

        Assert.That(template.OnMessage, Is.Null);
        Assert.That((subscribe.Headers["id"], subscribe.Headers["destination"]), Is.EqualTo(("sub-1", "/queue/a")));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", $"subscribe: receipt {subscribe.Headers["receipt"]}", "message: hello" }));
    }

    [Test]
    public void Unsubscribe_with_a_lone_callback_hands_the_RECEIPT_to_that_callback()
    {
        using var h = WithCommandHeaders();
        h.Connect();

        h.Client.Unsubscribe(h.Record("unsubscribe"));
        var sent = h.LastSent();
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{sent.Headers["receipt"]}\n\n\0");

        Assert.That((sent.Command, sent.Headers["id"]), Is.EqualTo(("UNSUBSCRIBE", "sub-1")));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", $"unsubscribe: receipt {sent.Headers["receipt"]}" }));
    }

    [Test]
    public void A_null_lone_callback_is_refused_at_the_call()
    {
        using var h = new ClientHarness();

        Assert.That(() => h.Client.Disconnect((Action<Frame?, StompError?>)null!), Throws.ArgumentNullException);
        Assert.That(() => h.Client.Subscribe((Action<Frame>)null!), Throws.ArgumentNullException);
    }

    [Test]
    public void The_cluster_hands_a_lone_callback_DISCONNECT_to_its_active_node_and_answers_that_callback()
    {
        var nodes = new MockNodes(2);

        nodes.Cluster.Disconnect(nodes.Record("disconnect"));
        var (name, parameters, callback) = nodes.Active.Commands.Single();
        callback!(new Frame("RECEIPT"), null);

        Assert.That((name, parameters.HeaderCount), Is.EqualTo(("DISCONNECT", 0)));
        Assert.That(nodes.Trace, Is.EqualTo(new[] { "disconnect: ok" }));
    }

    /// <summary>The frame's header names but <c>content-length</c>, which the client adds by its own rules.</summary>
    private static string[] OwnHeaderNames(Frame frame) =>
        [.. frame.Headers.Select(kv => kv.Key).Where(name => name != "content-length")];

    private static ClientHarness WithCommandHeaders() => new(o => o.ConnectionWith(new()
    {
        OnError = o.OnError, OnConnect = o.OnConnect, OnDisconnect = o.OnDisconnect,
        CommandHeaders = s_commandHeaders,
    }));
}
