using EventLoop;

namespace Stomper.Examples;

/// <summary>The original's examples/generic.pl: subscribe, send one message to the subscription, consume it.</summary>
internal static class Generic
{
    public static void Run()
    {
        var stomper = new StomperClient(new()
        {
            Host = Settings.Server.Host,
            Port = Settings.Server.Port,
            Login = Settings.Login,
            Passcode = Settings.Passcode,

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

            OnReceipt = (_, err) =>
            {
                if (err is not null)
                {
                    Console.Error.WriteLine(err.Message);
                    cv.Send();

                    return;
                }

                Console.WriteLine($"Subscribed to {subId}");

                stomper.Send(new()
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

        stomper.ForceDisconnect();
    }
}
