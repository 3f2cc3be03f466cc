using NUnit.Framework;
using Stomper.Async;
using Stomper.Tests.Client;

namespace Stomper.Tests.Async;

/// <summary>SendAsync from a warm client allocates nothing of its own: pooled operations, no closures, no copies.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class AsyncAllocationTests
{
    private const int Sends = 100_000;

    [Test]
    public async Task SendAsync_allocates_nothing_per_message_once_warm()
    {
        var transport = new CountingTransport();
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new()
            {
                HandleParams = new() { Autocork = true },
                Transport = transport.AnsweringOn,
            },
        });
        await client.ConnectAsync().WaitAsync(AsyncHarness.Timeout);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = "x" };
        await Run(client, send, 30_000);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Run(client, send, Sends);
        var perSend = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / Sends;

        // Measured over the whole process (the loop thread and the pool too), so a little
        // noise is allowed (about 8 bytes); a closure, a task or a copy of the headers per SEND is 64 or more.
        Assert.That(transport.BytesSent, Is.GreaterThan(Sends * 20L), "the SENDs went out");
        Assert.That(perSend, Is.LessThan(16), $"{perSend:F1} bytes allocated per SendAsync");
    }

    /// <summary>One producer keeping 64 sends in flight, as a real publisher does.</summary>
    private static async Task Run(AsyncStomperClient client, CommandParams send, int count)
    {
        var window = new ValueTask[64];
        for (var i = 0; i < count; i++)
        {
            var slot = i % window.Length;
            await window[slot];
            window[slot] = client.SendAsync(send);
        }

        foreach (var pending in window)
        {
            await pending;
        }
    }
}
