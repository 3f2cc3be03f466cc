using EventLoop;
using Stomper.Testing;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Client;

/// <summary>
/// A client on a fake clock over scripted Moq transports (one per connection), with the
/// frames it wrote parsed back for assertions.
/// </summary>
internal sealed class ClientHarness : IDisposable
{
    public ClientHarness(Func<StomperOptions, StomperOptions>? configure = null)
    {
        Loop = new Loop(Clock);
        var options = new StomperOptions
        {
            Host = "stomp.test",
            Port = 61613,
            Loop = Loop,
            Transport = _ =>
            {
                var transport = new ScriptedTransport();
                Transports.Add(transport);
                return transport.Mock.Object;
            },
            OnError = err => Trace.Add("on_error: " + err.Message),
            OnConnect = () => Trace.Add("on_connect"),
            OnDisconnect = () => Trace.Add("on_disconnect"),
        };
        Client = new StomperClient(configure?.Invoke(options) ?? options);
    }

    public FakeClock Clock { get; } = new();

    public Loop Loop { get; }

    public StomperClient Client { get; }

    public List<ScriptedTransport> Transports { get; } = [];

    public ScriptedTransport Transport => Transports[^1];

    /// <summary>What happened, in order, as the tests' callbacks record it.</summary>
    public List<string> Trace { get; } = [];

    /// <summary>Completes the TCP connect and answers CONNECT with CONNECTED.</summary>
    public void Connect(string version = "1.2", string? heartBeat = null)
    {
        Transport.ConnectCompleted!(null);
        var hb = heartBeat is null ? string.Empty : $"heart-beat:{heartBeat}\n";
        Transport.Arrive($"CONNECTED\nversion:{version}\nsession:S1\n{hb}\n\0");
    }

    /// <summary>The frames the client wrote on the current connection.</summary>
    public IReadOnlyList<Frame> Sent(ScriptedTransport? transport = null) =>
        ClientFrameParser.ParseAll((transport ?? Transport).Sent.SelectMany(b => b).ToArray(), Client.Version);

    public Frame LastSent() => Sent()[^1];

    /// <summary>The server answers the last frame written with the RECEIPT it asked for.</summary>
    public void ReceiptForLastSent() => Transport.Arrive($"RECEIPT\nreceipt-id:{LastSent().Headers["receipt"]}\n\n\0");

    /// <summary>
    /// A confirmed subscription "s1" whose handler records each body and throws on "boom",
    /// and a receipted SEND awaiting its RECEIPT; then one read brings MESSAGE "boom",
    /// MESSAGE "after" and that RECEIPT, and the exception leaves the loop.
    /// </summary>
    /// <returns>The bodies the handler saw, and the SEND's receipt id.</returns>
    public (List<string> Bodies, string SendReceipt) ThreeFramesInOneReadTheFirstOneThrowing()
    {
        var bodies = new List<string>();
        Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, msg =>
        {
            bodies.Add(msg.Body);
            if (msg.Body == "boom")
            {
                throw new InvalidOperationException("user bug");
            }
        });
        ReceiptForLastSent();
        Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, Record("send"));
        var sendReceipt = LastSent().Headers["receipt"]!;
        NUnit.Framework.Assert.Throws<InvalidOperationException>(() => Transport.Arrive(
            "MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nboom\0"
            + "MESSAGE\nsubscription:s1\nmessage-id:m2\ndestination:/queue/a\n\nafter\0"
            + $"RECEIPT\nreceipt-id:{sendReceipt}\n\n\0"));
        return (bodies, sendReceipt);
    }

    public void Step(double seconds = 0)
    {
        Clock.Advance(seconds);
        Loop.RunOnce(block: false);
    }

    public Action<Frame?, StompError?> Record(string label) => (receipt, err) =>
        Trace.Add(err is null ? $"{label}: {(receipt is null ? "sent" : "receipt " + receipt.Headers["receipt-id"])}" : $"{label}: {err.Code} {err.Message}");

    public void Dispose()
    {
        Client.Dispose();
        Loop.Dispose();
    }
}
