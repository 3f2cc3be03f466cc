using EventLoop;
using NUnit.Framework;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.EndToEnd;

/// <summary>The client over TLS against the fake broker speaking TLS on loopback: real sockets, a real handshake.</summary>
[TestFixture]
public sealed class ClientFakeBrokerTlsTests
{
    private LoopDriver _driver = null!;
    private FakeBroker _broker = null!;
    private StomperClient? _client;

    private List<string> Trace => _driver.Trace;

    [SetUp]
    public void SetUp()
    {
        _driver = new LoopDriver();
        _broker = new FakeBroker(new FakeBrokerOptions { Tls = TestCertificates.Shared.ServerContext() }).Start();
    }

    [TearDown]
    public void TearDown()
    {
        _client?.Dispose();
        _driver.Dispose();
        _broker.Dispose();
    }

    [Test]
    public void A_client_over_TLS_sends_with_a_receipt_and_gets_a_message_through_the_fake_broker()
    {
        var client = Client();
        _driver.RunUntil(() => client.IsConnected, "CONNECTED over TLS");
        var messages = new List<string>();
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnMessage = m => messages.Add(m.Body) });
        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "over tls" });
        _driver.RunUntil(() => messages.Count == 1, "the MESSAGE");

        Assert.That(messages, Is.EqualTo(new[] { "over tls" }));
        Assert.That(_broker.ReceivedBy("SEND").Single().Frame.Body, Is.EqualTo("over tls"));
    }

    [Test]
    public void A_refused_login_over_TLS_ends_with_the_brokers_ERROR_and_a_clean_TLS_close()
    {
        _broker.RejectConnect("Bad CONNECT", "Access refused");
        Client();
        _driver.WaitForTrace(2);
        _driver.RunFor(0.05);

        Assert.That(Trace, Is.EqualTo(new[] { "on_connect", "on_error: E_OPRN_ERROR Bad CONNECT", "on_disconnect" }));
    }

    [Test]
    public void A_broker_that_does_not_trust_the_client_fails_it_with_a_truthful_error()
    {
        _broker.Dispose();
        _broker = new FakeBroker(new FakeBrokerOptions { Tls = TestCertificates.Shared.ServerContext(requireClientCert: true) }).Start();
        var client = Client();
        client.Send(new() { ["destination"] = "/queue/a" }, _driver.Record("SEND"));
        _driver.WaitForTrace(1);
        _driver.RunFor(0.1);

        // TLS 1.3 finishes the client's handshake before the server checks its certificate:
        // the server's refusal comes after on_connect, as the connection's end (.NET's server
        // sends no alert for a missing client certificate, so the client reports what it saw).
        Assert.That(Trace[1], Does.StartWith($"on_error: {E_IO} "), string.Join("\n", Trace));
        Assert.That(_broker.ReceivedBy("CONNECT"), Is.Empty, "nothing got through");
    }

    private StomperClient Client() => _client = new StomperClient(new()
    {
        Host = "127.0.0.1",
        Port = _broker.Port,
        Loop = _driver.Loop,
        HandleParams = new() { Tls = TlsMode.Connect, TlsCtx = TestCertificates.Shared.ClientContext() },
        OnConnect = () => Trace.Add("on_connect"),
        OnDisconnect = () => Trace.Add("on_disconnect"),
        OnError = err => Trace.Add($"on_error: {err.Code} {err.Message}"),
    });
}
