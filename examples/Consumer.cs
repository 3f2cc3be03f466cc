using EventLoop;

namespace Stomper.Examples;

/// <summary>The original's examples/consumer.pl: client-individual acks, INT and TERM handling.</summary>
internal static class Consumer
{
    public static void Run()
    {
        var stomper = new StomperClient(new()
        {
            Host = Settings.Server.Host,
            Port = Settings.Server.Port,
            Login = Settings.Login,
            Passcode = Settings.Passcode,
            Heartbeat = [5000, 5000],

            OnConnect = () => Console.WriteLine("Connected to server"),

            OnDisconnect = () => Console.WriteLine("Disconnected from server"),
        });

        var cv = AE.Cv();
        var subId = "foo";
        var dst = "/queue/foo";

        stomper.Subscribe(new()
        {
            ["id"] = subId,
            ["destination"] = dst,
            ["ack"] = "client-individual",

            OnReceipt = (_, err) =>
            {
                if (err is not null)
                {
                    Console.Error.WriteLine(err.Message);
                    cv.Send();

                    return;
                }

                Console.WriteLine($"Subscribed to {subId}");
            },

            OnMessage = msg =>
            {
                var headers = msg.Headers;
                var body = msg.Body;

                Console.WriteLine($"Consumed: {body}");

                stomper.Ack(
                    new()
                    {
                        Message = msg,
                        ["receipt"] = "auto",
                    },
                    (_, err) =>
                    {
                        if (err is not null)
                        {
                            Console.Error.WriteLine(err.Message);
                            return;
                        }

                        Console.WriteLine($"Acked: {headers["message-id"]}");
                    });
            },
        });

        void OnSignal()
        {
            Console.WriteLine("Stopped");

            stomper.Unsubscribe(
                new()
                {
                    ["id"] = subId,
                    ["destination"] = dst,
                },
                (_, err) =>
                {
                    if (err is not null)
                    {
                        Console.Error.WriteLine(err.Message);
                        cv.Send();

                        return;
                    }

                    Console.WriteLine($"Unsubscribed from {subId}");

                    cv.Send();
                });
        }

        using var intW = AE.Signal("INT", OnSignal);
        using var termW = AE.Signal("TERM", OnSignal);

        cv.Recv();

        stomper.ForceDisconnect();
    }
}
