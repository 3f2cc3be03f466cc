using System.Diagnostics;
using EventLoop;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Stomper.Tests.Integration;

/// <summary>
/// The publishing half of the cross-process trace test, run as a child process
/// (<c>child publish-traced</c>): OpenTelemetry's SDK with the in-memory exporter on the
/// "Stomper" source, one receipted SEND inside a span of its own, then the trace id and the
/// SEND span's id printed for the parent to find in the consumer's span.
/// The target comes from STOMPER_OBS_TARGET (host:port) and STOMPER_OBS_DESTINATION.
/// </summary>
internal static class TracedPublisher
{
    private static readonly ActivitySource s_app = new("Stomper.Tests.Publisher");

    public static int Run()
    {
        var target = Endpoint.Parse(Environment.GetEnvironmentVariable("STOMPER_OBS_TARGET")!);
        var destination = Environment.GetEnvironmentVariable("STOMPER_OBS_DESTINATION")!;
        var exported = new List<Activity>();
        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(StomperDiagnostics.ActivitySourceName, s_app.Name)
            .AddInMemoryExporter(exported)
            .Build())
        {
            using var loop = new Loop();
            using var client = new StomperClient(new StomperOptions
            {
                Host = target.Host, Port = target.Port, Login = Brokers.Login, Passcode = Brokers.Passcode, Loop = loop,
                OnError = err => Console.WriteLine("on_error: " + err.Message),
            });
            var cv = loop.Cv();
            using (s_app.StartActivity("place order"))
            {
                client.Send(new() { ["destination"] = destination, ["receipt"] = "auto", Body = "traced" }, (_, err) => cv.Send(err?.Message));
            }

            using var guard = loop.Timer(20, 0, () => cv.Croak("no RECEIPT within 20 s"));
            if (cv.Recv()[0] is string error)
            {
                Console.WriteLine("send failed: " + error);
                return 1;
            }
        }

        var send = exported.Single(a => a.Source.Name == StomperDiagnostics.ActivitySourceName);
        Console.WriteLine($"trace {send.TraceId} send {send.SpanId} name {send.DisplayName} system {send.GetTagItem("messaging.system")}");
        return 0;
    }
}
