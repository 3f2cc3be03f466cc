using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EndToEnd;

/// <summary>
/// Runs a client's loop on the test thread until something happens, never longer than a
/// bound: every wait is guarded by a loop timer, so a missing callback fails the test
/// instead of hanging it, and no wait sleeps.
/// </summary>
/// <remarks>No <see cref="Loop.UnhandledException"/> handler is set: a callback that throws fails the test.</remarks>
internal sealed class LoopDriver : IDisposable
{
    public const double Patience = 5;

    public Loop Loop { get; } = new();

    /// <summary>What happened, in order, as the tests' callbacks record it.</summary>
    public List<string> Trace { get; } = [];

    /// <summary>Runs the loop until <paramref name="cv"/> is ready; croaks it after <paramref name="seconds"/>.</summary>
    public object?[] Wait(CondVar cv, string what, double seconds = Patience)
    {
        using var guard = Loop.Timer(seconds, 0, () => cv.Croak($"no {what} within {seconds} s; trace: [{string.Join(" | ", Trace)}]"));
        return cv.Recv();
    }

    /// <summary>Runs the loop until <paramref name="condition"/> holds after some callback; fails after <paramref name="seconds"/>.</summary>
    public void RunUntil(Func<bool> condition, string what, double seconds = Patience)
    {
        var expired = false;
        using var guard = Loop.Timer(seconds, 0, () => expired = true);
        while (!condition())
        {
            if (expired)
            {
                Assert.Fail($"no {what} within {seconds} s; trace: [{string.Join(" | ", Trace)}]");
            }

            Loop.RunOnce();
        }
    }

    /// <summary>Waits for the trace to hold <paramref name="count"/> entries.</summary>
    public void WaitForTrace(int count, double seconds = Patience) =>
        RunUntil(() => Trace.Count >= count, $"{count} trace entries", seconds);

    /// <summary>Runs the loop for a span of time: for windows in which something must not happen, or must keep happening.</summary>
    public void RunFor(double seconds)
    {
        var cv = Loop.Cv();
        using var timer = Loop.Timer(seconds, 0, () => cv.Send());
        cv.Recv();
    }

    /// <summary>
    /// Runs a blocking wait of the fake broker on a thread of its own while the client's loop
    /// runs here, so that the client keeps writing what the broker waits for. Not a pool
    /// thread: on two cores a blocked pool thread starves the work that needs the pool (the
    /// WebSocket transport's reads and writes) until the pool grows.
    /// </summary>
    public void WhileBrokerWaits(Action brokerWait, string what, double seconds = Patience + 1)
    {
        var cv = Loop.Cv();
        var waiter = new Thread(() =>
        {
            try
            {
                brokerWait();
                Loop.TryPost(() => cv.Send());
            }
            catch (Exception e)
            {
                // Any failure reaches the test through the condvar: an exception left on this
                // thread would end the test host. TryPost: once the test has given up waiting
                // and disposed the loop, nobody is left to tell.
                Loop.TryPost(() => cv.Croak(e));
            }
        })
        {
            IsBackground = true,
            Name = $"LoopDriver: {what}",
        };
        waiter.Start();
        Wait(cv, what, seconds);
    }

    /// <summary>A command callback that records <c>label: receipt &lt;id&gt;</c>, <c>label: sent</c> or <c>label: &lt;code&gt; &lt;message&gt;</c>.</summary>
    public Action<Frame?, StompError?> Record(string label) => (receipt, err) =>
        Trace.Add(err is null ? $"{label}: {(receipt is null ? "sent" : "receipt")}" : $"{label}: {err.Code} {err.Message}");

    /// <summary>Runs one command with <c>receipt:auto</c> and waits for its RECEIPT; an error fails the test.</summary>
    public Frame Receipted(StomperClient client, string command, CommandParams parameters)
    {
        var cv = Loop.Cv();
        parameters["receipt"] ??= "auto";
        Action<Frame?, StompError?> done = (receipt, err) =>
        {
            if (err is not null)
            {
                cv.Croak($"{command} failed: {err.Code} {err.Message}");
            }
            else
            {
                cv.Send(receipt);
            }
        };
        if (command == StompCommands.Subscribe)
        {
            parameters.OnReceipt = done;
            client.Execute(command, parameters);
        }
        else
        {
            client.Execute(command, parameters, done);
        }

        return (Frame)Wait(cv, $"RECEIPT for {command}")[0]!;
    }

    public void Dispose() => Loop.Dispose();
}
