using EventLoop;
using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Integration;

/// <summary>The single-node client against RabbitMQ's Web-STOMP plugin: ws:// and wss://, and its refusals.</summary>
[TestFixture]
public sealed class WebSocketClientBrokerTests : BrokerFixture
{
    private StomperClient WebSocketClient(Uri url, HandleParams? handleParams = null, int[]? heartbeat = null, WebSocketOptions? webSocket = null, Action<StompError>? onError = null) => new(new()
    {
        Url = url,
        WebSocket = webSocket,
        Login = Brokers.Login,
        Passcode = Brokers.Passcode,
        Heartbeat = heartbeat,
        HandleParams = handleParams,
        ConnectionTimeout = 10,
        Loop = Loop,
        OnError = onError ?? (_ => { }),
    });

    /// <summary>The connection's own error (on_error also hears the queued SEND aborted by it, in either order).</summary>
    private StompError FirstError(Func<Action<StompError>, StomperClient> make)
    {
        var failed = Loop.Cv();
        using var client = make(err =>
        {
            if (!err.Message.StartsWith("Operation", StringComparison.Ordinal))
            {
                failed.Send(err);
            }
        });
        client.Send(new() { ["destination"] = "/queue/never", Body = "x" });
        return (StompError)Wait(failed)[0]!;
    }

    [Test]
    public void Send_subscribe_ack_and_receipts_work_over_Web_STOMP()
    {
        using var client = WebSocketClient(Brokers.WebSocketUrl(Brokers.RabbitWebSocketNodes[0]));
        var queue = $"/queue/stomper-ws-{Guid.NewGuid():N}";
        var messages = new List<Frame>();
        Subscribed(client, new() { ["id"] = "s1", ["destination"] = queue, ["ack"] = "client-individual", OnMessage = messages.Add });

        for (var i = 0; i < 100; i++)
        {
            var sent = Loop.Cv();
            client.Send(new() { ["destination"] = queue, ["receipt"] = "auto", Body = $"m{i} " + new string('x', i * 50) }, (r, err) => sent.Send(err));
            Assert.That(Wait(sent)[0], Is.Null);
        }

        var all = Loop.Cv();
        using var poll = Loop.Timer(0, 0.01, () =>
        {
            if (messages.Count == 100)
            {
                all.Send();
            }
        });
        Wait(all);
        var acked = Loop.Cv();
        client.Ack(new() { Message = messages[^1], ["receipt"] = "auto" }, (r, err) => acked.Send(err));

        Assert.That(Wait(acked)[0], Is.Null);
        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_2));
        Assert.That(messages.Select(m => m.Body), Is.EqualTo(Enumerable.Range(0, 100).Select(i => $"m{i} " + new string('x', i * 50))));
    }

    [Test]
    public void Heart_beats_keep_a_quiet_Web_STOMP_session_alive()
    {
        var errors = new List<StompError>();
        using var client = WebSocketClient(Brokers.WebSocketUrl(Brokers.RabbitWebSocketNodes[1]), heartbeat: [500, 500], onError: errors.Add);
        var connected = Loop.Cv();
        client.Send(new() { ["destination"] = "/queue/stomper-ws-beat", ["receipt"] = "auto", Body = "x" }, (r, err) => connected.Send(err));
        Assert.That(Wait(connected)[0], Is.Null);

        var quiet = Loop.Cv();
        using var timer = Loop.Timer(3, 0, () => quiet.Send());
        Wait(quiet);

        Assert.That(errors, Is.Empty);
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public void Wss_with_the_local_CA_connects_and_with_another_CA_fails_with_the_TLS_text()
    {
        var url = Brokers.WebSocketUrl(Brokers.RabbitSecureWebSocketNodes[0], secure: true);
        using var client = WebSocketClient(url, new HandleParams { TlsCtx = new TlsContext { CaFile = Brokers.CaFile } });
        var sent = Loop.Cv();
        client.Send(new() { ["destination"] = "/queue/stomper-wss", ["receipt"] = "auto", Body = "x" }, (r, err) => sent.Send(err));
        Assert.That(Wait(sent)[0], Is.Null);

        var error = FirstError(onError => WebSocketClient(url, new HandleParams { TlsCtx = new TlsContext { CaFile = Brokers.OtherCaFile } }, onError: onError));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to localhost:{url.Port}: TLS certificate verification failed for the certificate"));
        Assert.That(error.Message, Does.Contain("the root is not trusted"));
    }

    [Test]
    public void An_upgrade_on_a_wrong_path_is_refused_with_404()
    {
        var url = Brokers.WebSocketUrl(Brokers.RabbitWebSocketNodes[0], path: "/nowhere");

        var error = FirstError(onError => WebSocketClient(url, onError: onError));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Is.EqualTo($"Can't connect to 127.0.0.1:{url.Port}: WebSocket upgrade refused: the server answered HTTP 404 Not Found to GET /nowhere instead of 101 Switching Protocols"));
    }

    [Test]
    public void Offering_only_a_subprotocol_the_server_does_not_speak_fails_as_missing()
    {
        var url = Brokers.WebSocketUrl(Brokers.RabbitWebSocketNodes[0]);

        var error = FirstError(onError => WebSocketClient(url, webSocket: new WebSocketOptions { Subprotocols = ["v13.stomp"] }, onError: onError));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.EndWith("WebSocket subprotocol missing: the server accepted the upgrade without choosing one of v13.stomp (no Sec-WebSocket-Protocol header)"));
    }
}
