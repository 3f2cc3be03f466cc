using System.Text.Json;
using EventLoop;

namespace Stomper.Examples;

/// <summary>
/// The original's examples/generic.pl: a structured body sent as JSON. Perl encodes it
/// by the <c>content-type</c> header and decodes with <c>$msg-&gt;decoded_body</c>; here
/// System.Text.Json does both, in plain sight.
/// </summary>
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
                    ["content-type"] = "application/json",
                    BodyBytes = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
                    {
                        ["foo"] = "Hello, foo!",
                        ["bar"] = "Hello, bar!",
                    }),
                });
            },

            OnMessage = msg =>
            {
                var headers = msg.Headers;

                // $msg->decoded_body decodes by content-type; a message of another kind
                // (the publisher example shares /queue/foo) is shown as it is.
                if (headers["content-type"] != "application/json")
                {
                    Console.WriteLine($"Not JSON: {msg.Body}");
                    return;
                }

                var body = JsonSerializer.Deserialize<Dictionary<string, string>>(msg.BodyBytes.Span);

                foreach (var (key, value) in body!)
                {
                    Console.WriteLine($"{key} => {value}");
                }

                cv.Send();
            },
        });

        cv.Recv();

        stomper.ForceDisconnect();
    }
}
