using System.Diagnostics;
using System.Globalization;
using Stomper.Async;

namespace Stomper.Bench;

/// <summary>
/// Issue 12's workloads of the async face, beside the callback API's in the same run:
/// SendAsync from concurrent producers, consuming through <c>await foreach</c>, and the
/// receipted round trip. Each client owns its loop thread, as an application's would.
/// </summary>
internal static class AsyncWorkloads
{
    /// <summary>SENDs each producer keeps in flight: a publisher awaits its sends in windows, not one by one.</summary>
    private const int Window = 256;

    private const string Client = "Stomper.Async";

    /// <summary>
    /// <paramref name="producers"/> tasks on the thread pool share one client and SendAsync
    /// <paramref name="count"/> messages between them, without receipts; then DISCONNECT,
    /// timed until its RECEIPT. The allocation column is per SendAsync, the whole process.
    /// </summary>
    public static Result Publish(string workload, int port, int producers, int count)
    {
        using var client = Open(port, autocork: true);
        client.Value.ConnectAsync().GetAwaiter().GetResult();
        var parameters = new CommandParams { ["destination"] = "/queue/bench", Body = Workloads.Body100 };
        var share = count / producers;
        var m = Measurement.Start();
        var tasks = Enumerable.Range(0, producers).Select(_ => Task.Run(() => Produce(client.Value, parameters, share))).ToArray();
        Task.WaitAll(tasks);
        client.Value.DisconnectAsync().AsTask().GetAwaiter().GetResult();
        return m.Stop(workload, Client, share * producers);
    }

    /// <summary>SUBSCRIBE to the peer's flood of <paramref name="count"/> messages and read them with <c>await foreach</c> on the thread pool.</summary>
    public static Result Consume(string workload, int port, int count)
    {
        using var client = Open(port, autocork: false, bufferSize: 10_000);
        client.Value.ConnectAsync().GetAwaiter().GetResult();
        var m = Measurement.Start();
        var received = Task.Run(async () =>
        {
            var subscription = await client.Value.SubscribeAsync(new CommandParams
            {
                ["destination"] = "/queue/bench",
                ["id"] = "bench",
                ["x-count"] = count.ToString(CultureInfo.InvariantCulture),
            });
            var n = 0;
            await foreach (var message in subscription)
            {
                if (++n == count)
                {
                    break;
                }
            }

            return n;
        }).GetAwaiter().GetResult();
        var result = m.Stop(workload, Client, received);
        client.Value.DisconnectAsync().AsTask().GetAwaiter().GetResult();
        return result;
    }

    /// <summary>Each SendAsync with a receipt awaited before the next, from the thread pool; latency percentiles in microseconds.</summary>
    public static Result RoundTrip(string workload, int port, int count)
    {
        using var client = Open(port, autocork: false, noDelay: true);
        client.Value.ConnectAsync().GetAwaiter().GetResult();
        var parameters = new CommandParams { ["destination"] = "/queue/bench", ["receipt"] = "auto", Body = Workloads.Body100 };
        var latencies = new long[count];
        var m = Measurement.Start();
        Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await client.Value.SendAsync(parameters);
                latencies[i] = Stopwatch.GetTimestamp() - started;
            }
        }).GetAwaiter().GetResult();
        var result = m.Stop(workload, Client, count);
        Array.Sort(latencies);
        double Micros(double q) => latencies[Math.Min(count - 1, (int)(q * count))] * 1e6 / Stopwatch.Frequency;
        return result with { Extra = new Dictionary<string, double> { ["p50_us"] = Micros(0.50), ["p99_us"] = Micros(0.99) } };
    }

    private static async Task Produce(AsyncStomperClient client, CommandParams parameters, int count)
    {
        var window = new ValueTask[Window];
        for (var i = 0; i < count; i++)
        {
            var slot = i % Window;
            await window[slot].ConfigureAwait(false);
            window[slot] = client.SendAsync(parameters);
        }

        foreach (var pending in window)
        {
            await pending.ConfigureAwait(false);
        }
    }

    private static Owned Open(int port, bool autocork, bool noDelay = false, int bufferSize = 1000) => new(new AsyncStomperClient(new AsyncStomperOptions
    {
        Client = new StomperOptions
        {
            Host = "127.0.0.1",
            Port = port,
            HandleParams = new HandleParams { Autocork = autocork, NoDelay = noDelay },
            OnError = error => Console.Error.WriteLine($"bench async client error: {error.Message}"),
        },
        MessageBufferSize = bufferSize,
    }));

    /// <summary>Disposes the client synchronously at the end of a workload.</summary>
    private sealed class Owned(AsyncStomperClient client) : IDisposable
    {
        public AsyncStomperClient Value => client;

        public void Dispose() => client.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
