using NUnit.Framework;
using Stomper.Async;

namespace Stomper.Tests.Async;

/// <summary>Cancellation at every step of a command: before the call, on its way to the loop, awaiting its RECEIPT.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class AsyncCancellationTests
{
    [Test]
    public void A_command_cancelled_before_the_call_is_not_sent()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Lazy = true } });

        var send = client.SendAsync("/queue/a", "x", cancelled.Token);

        Assert.That(send.IsCanceled, Is.True);
        client.DisposeAsync().AsTask().Wait();
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task Cancelling_at_random_moments_leaves_no_command_half_sent_and_the_client_usable(int seed)
    {
        await using var h = new AsyncHarness();
        var broker = h.Broker();
        var client = h.Client(broker);
        await client.ConnectAsync();
        var random = new Random(seed);
        var outcomes = new List<(string Body, Task Task)>();
        var sources = new List<CancellationTokenSource>();
        for (var i = 0; i < 300; i++)
        {
            var source = new CancellationTokenSource();
            sources.Add(source);
            var body = $"m{i}";
            var parameters = new CommandParams { ["destination"] = "/queue/a", Body = body };
            if (random.Next(2) == 0)
            {
                parameters["receipt"] = "auto";
            }

            switch (random.Next(4))
            {
                case 0:
                    source.Cancel();
                    break;
                case 1:
                    _ = Task.Run(source.Cancel);
                    break;
                case 2:
                    source.CancelAfter(random.Next(0, 3));
                    break;
            }

            outcomes.Add((body, client.SendAsync(parameters, source.Token).AsTask()));
            if (random.Next(3) == 0)
            {
                source.Cancel();
            }
        }

        await Task.WhenAll(outcomes.Select(o => o.Task.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(AsyncHarness.Timeout);
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "last" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        // Every frame the broker read parsed whole; each is a command of the test, once.
        var received = broker.ReceivedBy("SEND").Select(f => f.Frame.Body).ToList();
        Assert.That(received, Is.Unique);
        Assert.That(received[^1], Is.EqualTo("last"));
        Assert.That(broker.Faults, Is.Empty);
        Assert.That(broker.ConnectionsAccepted, Is.EqualTo(1), "the connection never broke");
        foreach (var (body, task) in outcomes)
        {
            if (task.IsCompletedSuccessfully)
            {
                Assert.That(received, Does.Contain(body), $"{body} completed, so it was sent");
            }
            else
            {
                Assert.That(task.IsCanceled, Is.True, $"{body} failed otherwise: {task.Exception}");
            }
        }

        Assert.That(outcomes.Count(o => o.Task.IsCanceled), Is.GreaterThan(50), "the test cancelled at every step");
        Assert.That(outcomes.Count(o => o.Task.IsCanceled && !received.Contains(o.Body)), Is.GreaterThan(0), "some cancelled commands never left");
        sources.ForEach(s => s.Dispose());
    }
}
