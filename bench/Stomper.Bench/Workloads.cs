using System.Diagnostics;
using System.Globalization;
using EventLoop;

namespace Stomper.Bench;

/// <summary>
/// The client workloads of issue 6, each written once against <see cref="IBenchClient"/>:
/// publish without receipts then DISCONNECT with a receipt, consume a flood with auto
/// ack, and SEND-then-wait-for-RECEIPT round trips.
/// </summary>
internal static class Workloads
{
    /// <summary>SENDs a producer issues before it waits for the last of them to be written.</summary>
    private const int Chunk = 10_000;

    public static readonly string Body100 = new('x', 100);

    /// <summary>
    /// Workload 1: <paramref name="count"/> SENDs of one parameter object, in chunks; the
    /// last SEND of a chunk carries a callback, which the client calls once that frame has
    /// been written to the socket, and that callback issues the next chunk. So the producer
    /// keeps at most a chunk ahead of the socket, as a real one would, and never spins.
    /// Then DISCONNECT, timed until its RECEIPT.
    /// </summary>
    /// <param name="receipts">Every SEND asks for a RECEIPT (<c>receipt:auto</c>): what the send journal adds to each, without the journal.</param>
    public static Result Publish(string workload, BenchTarget target, HandleParams handleParams, int count, string destination, bool receipts = false)
    {
        using var loop = new Loop();
        using var client = target.Create(loop, handleParams);
        Ready(loop, client);
        var parameters = new CommandParams { ["destination"] = destination, ["receipt"] = receipts ? "auto" : null, Body = Body100 };
        var cv = loop.Cv();
        var sent = 0;
        Action<Frame?, StompError?> nextChunk = null!;
        nextChunk = (_, error) =>
        {
            if (error is not null)
            {
                Finish(cv, error);
                return;
            }

            if (sent == count)
            {
                client.Execute(StompCommands.Disconnect, new CommandParams(), (_, error) => Finish(cv, error));
                return;
            }

            var n = Math.Min(Chunk, count - sent);
            for (var i = 1; i < n; i++)
            {
                client.Execute(StompCommands.Send, parameters);
            }

            client.Execute(StompCommands.Send, parameters, nextChunk);
            sent += n;
        };
        var m = Measurement.Start();
        nextChunk(null, null);
        cv.Recv();
        return m.Stop(workload, target.Client, count);
    }

    /// <summary>
    /// Workload 2: SUBSCRIBE and count <paramref name="count"/> MESSAGE frames from the
    /// flooding peer. With an <paramref name="ackMode"/> other than <c>auto</c>, each message
    /// is acknowledged from its callback by message, as a ported consumer does
    /// (<c>$stomper-&gt;ack( message =&gt; $msg )</c>).
    /// </summary>
    /// <param name="shared">A loop to run on (the scale workload's, with idle watchers on it); null for a loop of its own.</param>
    /// <param name="ids">The peer stamps every MESSAGE with a unique <c>stomper-id</c> (issue 14), as a journaled producer's messages carry.</param>
    /// <param name="window">The subscription's <see cref="CommandParams.DeduplicationWindow"/> (0: off).</param>
    public static Result Consume(string workload, BenchTarget target, int count, string ackMode = "auto", Loop? shared = null, bool ids = false, int window = 0)
    {
        using var owned = shared is null ? new Loop() : null;
        var loop = shared ?? owned!;
        using var client = target.Create(loop, new HandleParams());
        Ready(loop, client);
        var cv = loop.Cv();
        var received = 0;
        var ack = ackMode == "auto" ? null : new CommandParams();
        var subscribe = new CommandParams
        {
            ["destination"] = "/queue/bench",
            ["id"] = "bench",
            ["ack"] = ackMode,
            ["x-count"] = count.ToString(CultureInfo.InvariantCulture),
            ["x-ids"] = ids ? "true" : null,
            DeduplicationWindow = window,
            OnMessage = message =>
            {
                if (ack is not null)
                {
                    // One parameter object for every ACK, as Publish reuses its SEND's: an
                    // ACK without a callback is written at once and not kept.
                    ack.Message = message;
                    client.Execute(StompCommands.Ack, ack);
                }

                if (++received == count)
                {
                    cv.Send();
                }
            },
        };
        var m = Measurement.Start();
        client.Execute(StompCommands.Subscribe, subscribe, (_, error) =>
        {
            if (error is not null && !cv.Ready)
            {
                cv.Croak(error.Message);
            }
        });
        cv.Recv();
        var result = m.Stop(workload, target.Client, count);
        Close(loop, client);
        return result;
    }

    /// <summary>Workload 3: each SEND waits for its RECEIPT before the next; latency percentiles in microseconds.</summary>
    /// <param name="shared">A loop to run on (the scale workload's, with idle watchers on it); null for a loop of its own.</param>
    public static Result RoundTrip(string workload, BenchTarget target, int count, Loop? shared = null)
    {
        using var owned = shared is null ? new Loop() : null;
        var loop = shared ?? owned!;
        using var client = target.Create(loop, new HandleParams { NoDelay = true });
        Ready(loop, client);
        var parameters = new CommandParams { ["destination"] = "/queue/bench", ["receipt"] = "auto", Body = Body100 };
        var cv = loop.Cv();
        var latencies = new long[count];
        var done = 0;
        long started = 0;
        Action<Frame?, StompError?> onReceipt = null!;
        onReceipt = (_, error) =>
        {
            var now = Stopwatch.GetTimestamp();
            if (error is not null)
            {
                cv.Croak(error.Message);
                return;
            }

            latencies[done++] = now - started;
            if (done == count)
            {
                cv.Send();
                return;
            }

            started = Stopwatch.GetTimestamp();
            client.Execute(StompCommands.Send, parameters, onReceipt);
        };
        var m = Measurement.Start();
        started = Stopwatch.GetTimestamp();
        client.Execute(StompCommands.Send, parameters, onReceipt);
        cv.Recv();
        var result = m.Stop(workload, target.Client, count);
        Close(loop, client);
        Array.Sort(latencies);
        double Micros(double q) => latencies[Math.Min(count - 1, (int)(q * count))] * 1e6 / Stopwatch.Frequency;
        return result with { Extra = new Dictionary<string, double> { ["p50_us"] = Micros(0.50), ["p99_us"] = Micros(0.99) } };
    }

    /// <summary>
    /// Waits until the session is up, with a receipted BEGIN and an ABORT rather than a
    /// receipted SEND: RabbitMQ answers a SEND's receipt with a publisher confirm, and a
    /// channel once in confirm mode stays there, which cost every later SEND of the run
    /// about 40% of the broker's throughput.
    /// </summary>
    internal static void Ready(Loop loop, IBenchClient client)
    {
        var cv = loop.Cv();
        client.Execute(StompCommands.Begin, new CommandParams { ["transaction"] = "ready", ["receipt"] = "auto" }, (_, error) => Finish(cv, error));
        cv.Recv();
        client.Execute(StompCommands.Abort, new CommandParams { ["transaction"] = "ready" });
    }

    internal static void Close(Loop loop, IBenchClient client)
    {
        var cv = loop.Cv();
        client.Execute(StompCommands.Disconnect, new CommandParams(), (_, error) => Finish(cv, error));
        cv.Recv();
    }

    private static void Finish(CondVar cv, StompError? error)
    {
        if (cv.Ready)
        {
            return;
        }

        if (error is null)
        {
            cv.Send();
        }
        else
        {
            cv.Croak(error.Message);
        }
    }
}
