using EventLoop;

namespace Stomper.Examples;

/// <summary>The original's examples/publisher.pl: a message every second until INT or TERM.</summary>
internal static class Publisher
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
        var num = 1;

        using var timer = AE.Timer(0, 1, () =>
        {
            var body = "foo" + num++;

            stomper.Send(
                new()
                {
                    ["destination"] = "/queue/foo",
                    ["persistent"] = "true",
                    Body = body,
                },
                (_, err) =>
                {
                    if (err is not null)
                    {
                        Console.Error.WriteLine(err.Message);
                        return;
                    }

                    Console.WriteLine($"Published: {body}");
                });
        });

        void OnSignal()
        {
            Console.WriteLine("Stopped");
            cv.Send();
        }

        using var intW = AE.Signal("INT", OnSignal);
        using var termW = AE.Signal("TERM", OnSignal);

        cv.Recv();

        stomper.ForceDisconnect();
    }
}
