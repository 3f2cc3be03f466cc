using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Stomper.Tests.Diagnostics;

/// <summary>
/// Everything a client reports, captured for one test: its logs (FakeLogger), the
/// instruments of a meter factory of the test's own (MetricCollector, so other tests'
/// clients are not counted), and the "Stomper" spans (an ActivityListener sampling all).
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly ActivityListener? _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly List<IDisposable> _collectors = [];

    public TelemetryCapture(LogLevel minimumLevel = LogLevel.Trace, bool tracing = true)
    {
        LogProvider = new FakeLoggerProvider(new FakeLogCollector(Microsoft.Extensions.Options.Options.Create(new FakeLogCollectorOptions())));
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(LogProvider).SetMinimumLevel(minimumLevel));
        if (tracing)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == StomperDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }
    }

    public FakeLoggerProvider LogProvider { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TestMeterFactory MeterFactory { get; } = new();

    public IReadOnlyList<FakeLogRecord> Logs => LogProvider.Collector.GetSnapshot();

    /// <summary>The log lines as "id level: message".</summary>
    public IReadOnlyList<string> LogLines => [.. Logs.Select(l => $"{l.Id.Id} {l.Level}: {l.Message}")];

    public IReadOnlyList<Activity> Spans => [.. _stopped];

    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct
    {
        var collector = new MetricCollector<T>(MeterFactory, StomperDiagnostics.MeterName, instrument);
        _collectors.Add(collector);
        return collector;
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _collectors.ForEach(c => c.Dispose());
        LoggerFactory.Dispose();
        MeterFactory.Dispose();
    }

    /// <summary>An IMeterFactory as a host's: one meter per name, scoped to this factory.</summary>
    internal sealed class TestMeterFactory : IMeterFactory
    {
        private readonly Dictionary<string, Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            lock (_meters)
            {
                if (!_meters.TryGetValue(options.Name, out var meter))
                {
                    meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
                    _meters[options.Name] = meter;
                }

                return meter;
            }
        }

        public void Dispose()
        {
            lock (_meters)
            {
                foreach (var meter in _meters.Values)
                {
                    meter.Dispose();
                }
            }
        }
    }
}
