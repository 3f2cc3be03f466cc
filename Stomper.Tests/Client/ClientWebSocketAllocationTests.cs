using System.Net.WebSockets;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Client;

/// <summary>
/// Over WebSocket too, a warm connection allocates nothing of ours per message: SENDs are
/// measured on the loop thread (where the transport gathers and sends them), received
/// messages across the process (the receiving task runs on the runtime's threads), against
/// .NET's own server side of a WebSocket over loopback.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ClientWebSocketAllocationTests
{
    private const int Count = ClientAllocationTests.Sends;

    [TestCase(false)]
    [TestCase(true)]
    public void SEND_over_WebSocket_allocates_nothing_per_message_after_the_upgrade(bool autocork)
    {
        using var server = new HandMadeWebSocketServer();
        long serverReceived = 0;
        var serving = Task.Run(async () =>
        {
            using var ws = await server.AcceptWebSocketAsync("v12.stomp");
            var buffer = new byte[64 * 1024];
            var connected = false;
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (!connected && buffer.AsSpan(0, result.Count).IndexOf((byte)0) >= 0)
                {
                    connected = true;
                    await ws.SendAsync(Encoding.ASCII.GetBytes("CONNECTED\nversion:1.2\nsession:S1\n\n\0"), WebSocketMessageType.Binary, true, CancellationToken.None);
                }

                Interlocked.Add(ref serverReceived, result.Count);
            }
        });
        using var loop = new Loop();
        using var client = new StomperClient(new StomperOptions
        {
            Url = server.Url,
            Loop = loop,
            HandleParams = new HandleParams { Autocork = autocork },
            OnError = err => Assert.Fail(err.Message),
        });
        RunUntil(loop, () => client.IsConnected);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = new string('x', 100) };

        // A first round warms what grows once over a real socket (the buffers of a pass's
        // worth of frames, the runtime's send buffer): 16 KB in it with autocork, then 0.
        Func<long> received = () => Interlocked.Read(ref serverReceived);
        _ = ClientAllocationTests.MeasureSends(client, loop, received, send);
        var (perSend, _) = ClientAllocationTests.MeasureSends(client, loop, received, send);
        TestContext.Out.WriteLine($"{perSend:F1} bytes per SEND on the loop thread");
        RunUntil(loop, () => received() > (2 * ClientAllocationTests.Sends + 200L) * 100);
        client.Dispose();
        RunUntil(loop, () => serving.IsCompleted);

        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND on the loop thread");
    }

    [Test]
    public void Messages_received_over_WebSocket_allocate_nothing_of_ours_per_message()
    {
        const int PerMessage = 200;
        using var server = new HandMadeWebSocketServer();
        var message = new byte[PerMessage];
        var serverSocket = server.AcceptWebSocketAsync();
        using var loop = new Loop();
        using var transport = new WebSocketTransport(loop, server.Url);
        string? error = "pending";
        transport.Connect(server.Url.Host, server.Port, e => error = e);
        RunUntil(loop, () => error != "pending");
        Assert.That(error, Is.Null);
        using var ws = serverSocket.Result;
        long read = 0;
        var buffer = new byte[64 * 1024];
        transport.WatchRead(() =>
        {
            while (transport.Receive(buffer, 0, buffer.Length) is var n && n > 0)
            {
                read += n;
            }
        });

        // Each message awaited before the next: the receiving task waits for every one, the
        // most hand-overs (and so the most chances to allocate) per byte.
        long Round()
        {
            var start = read;
            var sending = Task.Run(async () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    await ws.SendAsync(message.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None);
                }
            });
            RunUntil(loop, () => read - start == (long)Count * PerMessage);
            sending.Wait();
            return read - start;
        }

        (double Here, double Process) Measured()
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var beforeHere = GC.GetAllocatedBytesForCurrentThread();
            Round();
            return (
                (double)(GC.GetAllocatedBytesForCurrentThread() - beforeHere) / Count,
                (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / Count);
        }

        Round();

        // The best of three rounds across the process: the runtime's own work in the window
        // (a thread the pool adds on a loaded machine, the JIT) only ever adds to a round.
        var rounds = new[] { Measured(), Measured(), Measured() };
        var perMessageHere = rounds.Min(r => r.Here);
        var perMessage = rounds.Min(r => r.Process);
        TestContext.Out.WriteLine($"{perMessageHere:F1} bytes per message on the loop thread, {perMessage:F1} across the process");

        Assert.That(perMessageHere, Is.LessThan(1.0), $"{perMessageHere:F1} bytes allocated per message received on the loop thread");
        Assert.That(perMessage, Is.LessThan(4.0), $"{perMessage:F1} bytes allocated per message received, across the process (.NET's server side included), {perMessageHere:F1} of it on the loop thread");
    }

    private static void RunUntil(Loop loop, Func<bool> condition)
    {
        var expired = false;
        using var guard = loop.Timer(10, 0, () => expired = true);

        // Some conditions change on the peer's threads, which do not wake the loop.
        using var poll = loop.Timer(0.01, 0.01, () => { });
        while (!condition())
        {
            if (expired)
            {
                // Not Assert.That on every pass: its constraint objects would be measured.
                Assert.Fail("the loopback peer stalled");
            }

            loop.RunOnce();
        }
    }
}
