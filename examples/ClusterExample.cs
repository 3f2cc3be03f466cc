using EventLoop;
using Stomper.Cluster;

namespace Stomper.Examples;

/// <summary>The original's examples/cluster.pl.</summary>
internal static class ClusterExample
{
    public static void Run()
    {
        var cluster = new StomperCluster(new()
        {
            Nodes = Settings.Nodes,
            Login = Settings.Login,
            Passcode = Settings.Passcode,
            Heartbeat = [5000, 5000],
            ConnectionTimeout = 5,

            OnNodeConnect = (host, port) => Console.WriteLine($"Connected to {host}:{port}"),

            OnNodeDisconnect = (host, port) => Console.WriteLine($"Disconnected from {host}:{port}"),

            OnNodeError = (err, host, port) => Console.Error.WriteLine($"{host}:{port}: {err.Message}"),
        });

        var cv = AE.Cv();
        var subId = "foo";
        var dst = "/queue/foo";

        cluster.Subscribe(new()
        {
            ["id"] = subId,
            ["destination"] = dst,

            OnReceipt = (_, err) =>
            {
                if (err is not null)
                {
                    Console.Error.WriteLine(err.Message);
                    cv.Send();

                    return;
                }

                Console.WriteLine($"Subscribed to {subId}");

                cluster.Send(new()
                {
                    ["destination"] = dst,
                    ["persistent"] = "true",
                    Body = "Hello, world!",
                });
            },

            OnMessage = msg =>
            {
                var headers = msg.Headers;
                var body = msg.Body;

                Console.WriteLine($"Consumed: {body}");

                cv.Send();
            },
        });

        cv.Recv();

        cluster.ForceDisconnect();
    }
}
