using System.Diagnostics;
using System.Diagnostics.Metrics;
using EventLoop;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Diagnostics;

/// <summary>
/// With a logger at an operator's level and listeners in the process that are not for
/// Stomper, the SEND and MESSAGE paths still allocate nothing per message: every report
/// is checked for a listener before any work.
/// </summary>
[TestFixture]
public sealed class TelemetryAllocationTests
{
    [Test]
    public void SEND_allocates_nothing_per_message_while_nobody_listens_to_Stomper()
    {
        using var others = new OtherListeners();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider()).SetMinimumLevel(LogLevel.Information));
        var transport = new CountingTransport();
        using var loop = new Loop(new FakeClock());
        using var client = new StomperClient(new StomperOptions { Loop = loop, Transport = _ => transport, LoggerFactory = loggers });
        transport.Connected!(null);
        transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
        loop.RunOnce(block: false);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = new string('x', 100) };

        var (perSend, written) = ClientAllocationTests.MeasureSends(client, loop, transport, send);

        // SEND, destination, content-length:100, the blank line, the body, NUL: no trace header.
        Assert.That(written, Is.EqualTo(ClientAllocationTests.Sends * 147L), "the SENDs went out, without trace headers");
        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND");
    }

    [Test]
    public void A_listener_turned_on_and_off_again_leaves_SEND_allocation_free()
    {
        var transport = new CountingTransport();
        using var loop = new Loop(new FakeClock());
        using var client = new StomperClient(new StomperOptions { Loop = loop, Transport = _ => transport });
        transport.Connected!(null);
        transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
        loop.RunOnce(block: false);
        var send = new CommandParams { ["destination"] = "/queue/a" };
        using (new TelemetryCapture())
        {
            client.Send(send);
        }

        var (perSend, _) = ClientAllocationTests.MeasureSends(client, loop, transport, send);

        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND");
    }

    /// <summary>An ActivityListener and a MeterListener of another library, as an application with OpenTelemetry for HTTP has.</summary>
    private sealed class OtherListeners : IDisposable
    {
        private readonly ActivityListener _activities = new()
        {
            ShouldListenTo = s => s.Name == "Other.Library",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };

        private readonly MeterListener _meters = new();

        public OtherListeners()
        {
            ActivitySource.AddActivityListener(_activities);
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Other.Library")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.Start();
        }

        public void Dispose()
        {
            _activities.Dispose();
            _meters.Dispose();
        }
    }
}
