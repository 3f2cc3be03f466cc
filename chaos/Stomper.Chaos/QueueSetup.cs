using EventLoop;
using Stomper.Cluster;

namespace Stomper.Chaos;

/// <summary>
/// The scenario's queue seen with plain single-node clients, apart from the cluster under
/// test: declared as a quorum queue before, drained after, so that what is left in it
/// counts from the broker's side.
/// </summary>
internal static class QueueSetup
{
    private const double StepSeconds = 30;

    /// <summary>
    /// Declares <c>/queue/<paramref name="queue"/></c> as a quorum queue on <paramref name="node"/>
    /// (its leader lives there), by a SUBSCRIBE with <c>x-queue-type:quorum</c> undone at once.
    /// The workload then names it <c>/amq/queue/</c>, which never declares again: a
    /// re-declaration while the queue elects a leader makes RabbitMQ close the connection.
    /// </summary>
    public static void Declare(Loop loop, ChaosSettings settings, ClusterNode node, string queue)
    {
        using var client = Client(loop, settings, node);
        Step(loop, "declaring the queue", done => client.Subscribe(new CommandParams
        {
            ["id"] = "declare",
            ["destination"] = "/queue/" + queue,
            ["x-queue-type"] = "quorum",
            OnMessage = _ => { },
            OnReceipt = done,
        }));
        Step(loop, "ending the declaring subscription", done => client.Unsubscribe(new CommandParams { ["id"] = "declare" }, done));
        Step(loop, "disconnecting the declaring client", done => client.Disconnect(null, done));
    }

    /// <summary>
    /// Takes every message left in the queue, through <paramref name="node"/>, and hands each
    /// body to <paramref name="drained"/>. A marker sent after the SUBSCRIBE's RECEIPT comes
    /// after everything queued before it; what the broker only puts back later (deliveries of
    /// a connection it is still closing) comes within the quiet second waited after it.
    /// </summary>
    public static void Drain(Loop loop, ChaosSettings settings, ClusterNode node, string queue, Action<string> drained)
    {
        const double QuietSeconds = 1;
        var marker = "end-of-drain-" + Guid.NewGuid().ToString("N");
        using var client = Client(loop, settings, node);
        var cv = loop.Cv();
        var markerSeen = false;
        TimerWatcher? quiet = null;
        void Restart() => quiet = loop.Timer(QuietSeconds, 0, () => cv.Send());
        Step(loop, "subscribing the drain", done => client.Subscribe(new CommandParams
        {
            ["id"] = "drain",
            ["destination"] = "/amq/queue/" + queue,
            ["ack"] = "auto",
            OnReceipt = done,
            OnMessage = message =>
            {
                if (message.Body == marker)
                {
                    markerSeen = true;
                }
                else
                {
                    drained(message.Body);
                }

                if (markerSeen)
                {
                    quiet?.Dispose();
                    Restart();
                }
            },
        }));
        Step(loop, "sending the drain's marker", done => client.Send(new CommandParams
        {
            ["destination"] = "/amq/queue/" + queue,
            ["receipt"] = "auto",
            ["persistent"] = "true",
            Body = marker,
        }, done));
        using var deadline = loop.Timer(120, 0, () => cv.Croak("the drain's marker did not come back within 120 s"));
        try
        {
            cv.Recv();
        }
        catch (CondVarCroakedException e)
        {
            throw new ChaosRunException(e.Message);
        }
        finally
        {
            quiet?.Dispose();
        }

        Step(loop, "disconnecting the drain", done => client.Disconnect(null, done));
    }

    /// <summary>
    /// <see cref="Drain"/> through the first node that lets it, trying each in turn for a
    /// minute: right after a full outage a node may answer before its queues are back
    /// (RabbitMQ refuses the SUBSCRIBE with <c>not_found</c>). Returns null, or why the queue
    /// could not be drained (then nothing left in it is known, and receipted messages the
    /// application never got count as lost).
    /// </summary>
    public static string? DrainThroughAnyNode(Loop loop, ChaosSettings settings, string queue, Action<string> drained)
    {
        const double TrySeconds = 60;
        const double BetweenTries = 2;
        var until = ChaosClock.Now + TrySeconds;
        string? failure = null;
        for (var i = 0; ChaosClock.Now < until; i++)
        {
            try
            {
                Drain(loop, settings, settings.Nodes[i % settings.Nodes.Count], queue, drained);
                return null;
            }
            catch (ChaosRunException e)
            {
                failure = e.Message;
                var cv = loop.Cv();
                using var pause = loop.Timer(BetweenTries, 0, () => cv.Send());
                cv.Recv();
            }
        }

        return failure;
    }

    private static StomperClient Client(Loop loop, ChaosSettings settings, ClusterNode node) => new(new StomperOptions
    {
        Host = node.Host,
        Port = node.Port,
        Login = settings.Login,
        Passcode = settings.Passcode,
        ConnectionTimeout = 10,
        Loop = loop,
        OnError = _ => { },
    });

    /// <summary>Issues one command and runs the loop until its callback, which must not report an error.</summary>
    private static void Step(Loop loop, string what, Action<Action<Frame?, StompError?>> issue)
    {
        var cv = loop.Cv();
        issue((_, err) => cv.Send(err));
        using var deadline = loop.Timer(StepSeconds, 0, () => cv.Croak($"{what}: no answer within {StepSeconds} s"));
        try
        {
            if (cv.Recv()[0] is StompError error)
            {
                throw new ChaosRunException($"{what}: {error.Message}");
            }
        }
        catch (CondVarCroakedException e)
        {
            throw new ChaosRunException(e.Message);
        }
    }
}
