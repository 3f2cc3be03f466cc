using System.Text;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>
/// The SEND path allocates nothing of its own: a publisher that reuses one parameter
/// object puts no work on the garbage collector however many messages it sends.
/// </summary>
[TestFixture]
public sealed class ClientAllocationTests
{
    internal const int Sends = 10_000;

    [TestCase(false)]
    [TestCase(true)]
    public void SEND_without_a_receipt_allocates_nothing_per_message(bool autocork)
    {
        var transport = new CountingTransport();
        using var loop = new Loop(new FakeClock());
        using var client = new StomperClient(new StomperOptions
        {
            Loop = loop,
            Transport = _ => transport,
            HandleParams = new HandleParams { Autocork = autocork },
        });
        transport.Connected!(null);
        transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
        loop.RunOnce(block: false);
        Assert.That(client.IsConnected, Is.True);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = new string('x', 100) };

        var (perSend, written) = MeasureSends(client, loop, transport, send);

        Assert.That(written, Is.GreaterThan(Sends * 100L), "the SENDs went out");
        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND");
    }

    /// <summary>
    /// Bytes allocated per SEND over <see cref="Sends"/> SENDs of one parameter object from a
    /// connected client, a loop pass every hundred; and the bytes they put on the wire.
    /// </summary>
    internal static (double PerSend, long Written) MeasureSends(StomperClient client, Loop loop, CountingTransport transport, CommandParams send) =>
        MeasureSends(client, loop, () => transport.BytesSent, send);

    /// <summary>As above, over any transport: <paramref name="bytesSent"/> says how many bytes it has put on the wire so far.</summary>
    internal static (double PerSend, long Written) MeasureSends(StomperClient client, Loop loop, Func<long> bytesSent, CommandParams send)
    {
        // One round first, so that one-time costs (JIT, the write buffer growing to a
        // pass's worth of frames) are not counted.
        for (var i = 0; i < 100; i++)
        {
            client.Send(send);
        }

        loop.RunOnce(block: false);
        var written = bytesSent();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Sends; i++)
        {
            client.Send(send);
            if (i % 100 == 99)
            {
                loop.RunOnce(block: false);
            }
        }

        return ((double)(GC.GetAllocatedBytesForCurrentThread() - before) / Sends, bytesSent() - written);
    }

    [Test]
    public void A_receipt_timeout_adds_no_allocation_to_a_receipted_SEND()
    {
        var without = BytesPerReceiptedSend(null);
        var with = BytesPerReceiptedSend(TimeSpan.FromSeconds(30));

        Assert.That(with - without, Is.LessThan(1.0), $"{without:F1} bytes per receipted SEND without the timeout, {with:F1} with it");
    }

    /// <summary>
    /// Receipted SENDs answered in turn, with the clock standing still (the timer, re-armed
    /// about once per timeout, is not per message): what the client allocates per SEND,
    /// the test's own RECEIPT text included, the same in both runs.
    /// </summary>
    private static double BytesPerReceiptedSend(TimeSpan? timeout)
    {
        const int Count = 5_000;
        var transport = new CountingTransport();
        using var loop = new Loop(new FakeClock());
        using var client = new StomperClient(new StomperOptions
        {
            Loop = loop,
            Transport = _ => transport,
            ReceiptTimeout = timeout,
        });
        transport.Connected!(null);
        transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
        loop.RunOnce(block: false);
        var ids = Enumerable.Range(0, 2 * Count).Select(i => $"r{i}").ToArray();
        var receipts = ids.Select(id => $"RECEIPT\nreceipt-id:{id}\n\n\0").ToArray();
        var send = new CommandParams { ["destination"] = "/queue/a", Body = "x" };
        Action<Frame?, StompError?> answered = (_, err) => Assert.That(err, Is.Null);

        void Round(int from)
        {
            for (var i = from; i < from + Count; i++)
            {
                send["receipt"] = ids[i];
                client.Send(send, answered);
                if (i % 10 == 9)
                {
                    loop.RunOnce(block: false);
                    for (var j = i - 9; j <= i; j++)
                    {
                        transport.Arrive(receipts[j]);
                    }
                }
            }
        }

        Round(0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Round(Count);
        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Count;
    }
}
