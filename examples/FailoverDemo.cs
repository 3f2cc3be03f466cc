using System.Diagnostics;
using EventLoop;
using Stomper.Cluster;

namespace Stomper.Examples;

/// <summary>
/// What <c>make demo</c> shows after the cluster example: a publisher and a consumer on
/// one cluster client, the active node killed (<c>kill -9</c>, through
/// scripts/brokers.sh), the next node taking over, and messages flowing on.
/// </summary>
internal static class FailoverDemo
{
    private const int AfterFailover = 5;

    public static int Run(string brokersScript)
    {
        var cv = AE.Cv();
        var cluster = new StomperCluster(new()
        {
            Nodes = Settings.Nodes,
            Login = Settings.Login,
            Passcode = Settings.Passcode,
            Heartbeat = [1000, 1000],
            OnNodeConnect = (host, port) => Console.WriteLine($"Connected to {host}:{port}"),
            OnNodeDisconnect = (host, port) => Console.WriteLine($"Disconnected from {host}:{port}"),
            OnNodeError = (err, host, port) => Console.Error.WriteLine($"{host}:{port}: {err.Message}"),
        });

        // A quorum queue keeps its messages when one node dies.
        const string Queue = "/queue/stomper-demo";
        var killedAt = 0;
        var consumed = 0;
        cluster.Subscribe(new()
        {
            ["id"] = "demo",
            ["destination"] = Queue,
            ["x-queue-type"] = "quorum",
            ["ack"] = "client-individual",
            OnReceipt = (_, err) => Console.WriteLine(err is null ? "Subscribed" : $"Subscription: {err.Message}"),
            OnMessage = msg =>
            {
                consumed++;
                var redelivered = msg.Headers["redelivered"] == "true" ? " (redelivered)" : string.Empty;
                Console.WriteLine($"Consumed: {msg.Body}{redelivered}");
                cluster.Ack(new() { Message = msg });
                if (killedAt > 0 && consumed >= killedAt + AfterFailover)
                {
                    cv.Send(0);
                }
            },
        });

        var num = 1;
        using var publisher = AE.Timer(0.5, 0.5, () =>
        {
            var body = "message " + num++;
            cluster.Send(new() { ["destination"] = Queue, ["x-queue-type"] = "quorum", ["receipt"] = "auto", Body = body }, (_, err) =>
                Console.WriteLine(err is null ? $"Published: {body}" : $"Not published: {body}: {err.Message}"));
        });

        using var killer = AE.Timer(4, 0, () =>
        {
            var active = cluster.ActiveNode;
            var node = "rabbit" + (Settings.Nodes.ToList().FindIndex(n => n.Port == active.Port) + 1);
            Console.WriteLine($"*** Killing the active node {active.Host}:{active.Port} ({node}) with kill -9 ***");
            killedAt = Math.Max(consumed, 1);
            using var kill = Process.Start("bash", [brokersScript, "kill", node]);
            kill.WaitForExit();
        });

        using var deadline = AE.Timer(90, 0, () => cv.Send(1));
        var status = cv.Recv<int>();
        Console.WriteLine(status == 0
            ? $"Failover done: {AfterFailover} messages consumed through the next node."
            : "Gave up waiting for messages after the failover.");
        cluster.Dispose();
        return status;
    }
}
