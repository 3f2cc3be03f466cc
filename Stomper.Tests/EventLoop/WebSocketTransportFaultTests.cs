using System.Collections;
using System.Net.Sockets;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// Whatever goes wrong under a WebSocket transport, whatever the exception the runtime throws
/// for it, reaches the handle as the connect's error or a read that fails: nothing hangs,
/// nothing escapes into the loop, and a transport disposed at any point reports nothing more.
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class WebSocketTransportFaultTests
{
    private const double Patience = 5;

    private readonly List<IDisposable> _owned = [];
    private Loop _loop = null!;
    private HandMadeWebSocketServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _loop = new Loop();
        _server = Own(new HandMadeWebSocketServer());
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _owned.Clear();
        _loop.Dispose();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Connects a transport to <paramref name="url"/> and runs the loop until the connect reports; the report.</summary>
    private (WebSocketTransport Transport, string? Error) Connect(Uri url, WebSocketOptions? options = null, TlsContext? tls = null)
    {
        var transport = Own(new WebSocketTransport(_loop, url, options, tls));
        var reports = new List<string?>();
        transport.Connect(url.Host, url.Port, reports.Add);
        RunUntil(() => reports.Count > 0, "the connect's report");
        _loop.RunOnce(block: false);
        Assert.That(reports, Has.Count.EqualTo(1), "the connect reports once");
        return (transport, reports[0]);
    }

    private void RunUntil(Func<bool> condition, string what, double seconds = Patience)
    {
        var expired = false;
        using var guard = _loop.Timer(seconds, 0, () => expired = true);

        // Some conditions change on the server's threads, which do not wake the loop.
        using var poll = _loop.Timer(0.01, 0.01, () => { });
        while (!condition())
        {
            Assert.That(expired, Is.False, $"no {what} within {seconds} s");
            _loop.RunOnce();
        }
    }

    /// <summary>Reads the transport until it fails or ends; the failure's message, or null at a clean end.</summary>
    private string? ReadUntilFailure(WebSocketTransport transport)
    {
        string? failure = null;
        var ended = false;
        var buffer = new byte[1024];
        transport.WatchRead(() =>
        {
            try
            {
                while (transport.Receive(buffer, 0, buffer.Length) is var n && n != -1)
                {
                    if (n == 0)
                    {
                        ended = true;
                        return;
                    }
                }
            }
            catch (IOException e)
            {
                failure = e.Message;
            }
        });
        RunUntil(() => failure is not null || ended, "the stream's end");
        transport.WatchRead(null);
        return failure;
    }

    [Test]
    public void A_server_that_answers_the_upgrade_with_garbage_fails_the_connect_as_a_handshake_failure()
    {
        var accepted = Task.Run(async () =>
        {
            var (client, _) = await _server.AcceptAsync();
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
            return client;
        });

        var (_, error) = Connect(_server.Url);

        using var client = accepted.Result;
        Assert.That(error, Does.StartWith("WebSocket handshake failed: "));
    }

    [Test]
    public void A_server_that_hangs_up_in_the_middle_of_its_answer_fails_the_connect()
    {
        var accepted = Task.Run(async () =>
        {
            var (client, request) = await _server.AcceptAsync();
            var answer = HandMadeWebSocketServer.SwitchingProtocols(request, "v12.stomp");
            await client.GetStream().WriteAsync(answer.AsMemory(0, answer.Length / 2));
            client.Dispose();
        });

        var (_, error) = Connect(_server.Url);

        accepted.Wait();
        Assert.That(error, Does.StartWith("WebSocket handshake failed: "));
    }

    [Test]
    public void A_server_that_hangs_up_before_answering_fails_the_connect_at_once_without_a_second_connection()
    {
        // The first connection is hung up on; any later one would be accepted by the
        // listener's backlog and never answered, so a retry would hang the connect.
        var hungUp = Task.Run(async () =>
        {
            using var client = await _server.AcceptTcpAsync();
        });

        var (_, error) = Connect(_server.Url);

        hungUp.Wait();
        Assert.That(error, Does.StartWith("WebSocket handshake failed: ").And.Contain("the server hung up before answering the upgrade request"));
    }

    [TestCase("http")]
    [TestCase("ws")]
    public void A_server_that_redirects_the_upgrade_elsewhere_fails_the_connect_naming_its_answer(string scheme)
    {
        // The transport connects where its URL names, as over TCP: a redirect is the server's
        // answer to report, not a connection to another server (which the one-connection
        // rule would refuse as a server that hung up, a wrong reason).
        var elsewhere = Own(new HandMadeWebSocketServer());
        var redirected = Task.Run(async () =>
        {
            var (client, _) = await _server.AcceptAsync();
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 302 Found\r\nLocation: {scheme}://127.0.0.1:{elsewhere.Port}/ws\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            return client;
        });

        var (_, error) = Connect(_server.Url);

        using var client = redirected.Result;
        Assert.That(error, Is.EqualTo("WebSocket upgrade refused: the server answered HTTP 302 Found to GET /ws instead of 101 Switching Protocols"));
    }

    [Test]
    public void Dispose_during_the_upgrade_reports_nothing_and_hangs_up_on_the_server()
    {
        var accepted = _server.AcceptAsync();
        var transport = new WebSocketTransport(_loop, _server.Url);
        var reports = new List<string?>();
        transport.Connect(_server.Url.Host, _server.Port, reports.Add);
        RunUntil(() => accepted.IsCompleted, "the upgrade request");

        transport.Dispose();
        using var client = accepted.Result.Client;
        var read = client.GetStream().ReadAsync(new byte[16]).AsTask();
        RunUntil(() => read.IsCompleted, "the hang-up");
        using (_loop.Timer(0.2, 0, () => { }))
        {
            _loop.RunOnce();
        }

        Assert.That(read.IsCompletedSuccessfully ? read.Result : 0, Is.Zero, "the server read the end of the connection");
        Assert.That(reports, Is.Empty, "a disposed transport reports nothing");
    }

    [Test]
    public void Dispose_before_the_TCP_connect_completes_reports_nothing()
    {
        var transport = new WebSocketTransport(_loop, _server.Url);
        var reports = new List<string?>();
        transport.Connect(_server.Url.Host, _server.Port, reports.Add);

        transport.Dispose();
        using (_loop.Timer(0.3, 0, () => { }))
        {
            _loop.RunOnce();
        }

        Assert.That(reports, Is.Empty);
    }

    [Test]
    public void Dispose_while_messages_keep_arriving_stops_the_reading_at_once_and_closes_the_connection()
    {
        var accepted = _server.AcceptWebSocketAsync();
        var (transport, _) = Connect(_server.Url);
        using var ws = accepted.Result;
        var flooding = Task.Run(async () =>
        {
            var message = new byte[4096];
            try
            {
                while (true)
                {
                    await ws.SendAsync(message.AsMemory(), System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
            {
                return e.GetType().Name;
            }
        });
        var reads = 0;
        var buffer = new byte[1024];
        transport.WatchRead(() =>
        {
            reads++;
            Assert.That(transport.Receive(buffer, 0, buffer.Length), Is.Positive);
        });
        RunUntil(() => reads > 10, "messages");

        transport.Dispose();
        var readsAtDispose = reads;
        RunUntil(() => flooding.IsCompleted, "the connection's end at the server");
        using (_loop.Timer(0.2, 0, () => { }))
        {
            _loop.RunOnce();
        }

        Assert.That(reads, Is.EqualTo(readsAtDispose), "nothing is read after Dispose");
        Assert.That(() => transport.Receive(buffer, 0, buffer.Length), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void A_headers_dictionary_that_throws_while_read_fails_the_connect_as_a_setup_failure()
    {
        var (_, error) = Connect(_server.Url, new WebSocketOptions { Headers = new ThrowingHeaders() });

        Assert.That(error, Is.EqualTo("WebSocket setup failed: these headers cannot be read"));
    }

    [Test]
    public void A_verify_callback_that_throws_fails_the_wss_connect_with_its_message()
    {
        using var broker = new FakeBroker().Start();
        using var gateway = new WebSocketGateway(broker, new WebSocketGatewayOptions { Certificate = TestCertificates.Shared.Server }).Start();
        var tls = new TlsContext { CaCertificates = [TestCertificates.Shared.Ca], VerifyCb = (_, _, _, _) => throw new NotSupportedException("the callback gave up") };

        var (_, error) = Connect(gateway.Url, tls: tls);

        Assert.That(error, Does.Contain("the callback gave up"));
    }

    [Test]
    public void Frames_that_break_the_WebSocket_protocol_fail_the_stream_as_a_WebSocket_error()
    {
        var accepted = _server.AcceptUpgradeAsync();
        var (transport, error) = Connect(_server.Url);
        Assert.That(error, Is.Null);
        using var client = accepted.Result;

        // Opcode 3 is reserved, and a server's frames are never masked: both are refused.
        client.GetStream().Write([0x83, 0x81, 1, 2, 3, 4, 5]);

        Assert.That(ReadUntilFailure(transport), Does.StartWith("WebSocket error: "));
    }

    [Test]
    public void A_connection_reset_after_the_upgrade_fails_or_ends_the_stream_and_a_later_send_throws()
    {
        var accepted = _server.AcceptUpgradeAsync();
        var (transport, _) = Connect(_server.Url);
        var client = accepted.Result;
        client.Client.LingerState = new LingerOption(true, 0);

        client.Dispose();
        ReadUntilFailure(transport);
        var writable = 0;
        transport.WatchWrite(() => writable++);
        var payload = new byte[100];
        Exception? sendFailure = null;
        RunUntil(
            () =>
            {
                try
                {
                    transport.Send(payload, 0, payload.Length);
                }
                catch (IOException e)
                {
                    sendFailure = e;
                }

                return sendFailure is not null;
            },
            "a failed send");

        Assert.That(sendFailure!.Message, Does.StartWith("WebSocket error: "));
    }

    /// <summary>Headers whose reading throws, as a user's own dictionary might.</summary>
    private sealed class ThrowingHeaders : IReadOnlyDictionary<string, string>
    {
        public int Count => 1;

        public IEnumerable<string> Keys => throw Failure();

        public IEnumerable<string> Values => throw Failure();

        public string this[string key] => throw Failure();

        public bool ContainsKey(string key) => throw Failure();

        public bool TryGetValue(string key, out string value) => throw Failure();

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => throw Failure();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private static NotSupportedException Failure() => new("these headers cannot be read");
    }
}
