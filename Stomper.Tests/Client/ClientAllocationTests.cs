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
    internal static (double PerSend, long Written) MeasureSends(StomperClient client, Loop loop, CountingTransport transport, CommandParams send)
    {
        // One round first, so that one-time costs (JIT, the write buffer growing to a
        // pass's worth of frames) are not counted.
        for (var i = 0; i < 100; i++)
        {
            client.Send(send);
        }

        loop.RunOnce(block: false);
        var written = transport.BytesSent;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Sends; i++)
        {
            client.Send(send);
            if (i % 100 == 99)
            {
                loop.RunOnce(block: false);
            }
        }

        return ((double)(GC.GetAllocatedBytesForCurrentThread() - before) / Sends, transport.BytesSent - written);
    }
}
