using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Stomper.Bench;

/// <summary>
/// Issue 13's cost figures: the same workload with the diagnostics switched off
/// (<see cref="StomperDiagnostics.DisableSwitch"/>), compiled in with nobody listening, with
/// a MeterListener taking every Stomper instrument, and with every Stomper span sampled
/// (AllDataAndRecorded, trace context written into each SEND). Each mode is set up around
/// one run and torn down after it, so the modes share the process and its warm JIT.
/// </summary>
internal static class ObservabilityModes
{
    public static readonly string[] All = ["off", "idle", "metrics", "tracing"];

    /// <summary>Runs <paramref name="run"/> in <paramref name="mode"/>, its client made inside it.</summary>
    public static Result? In(string mode, Func<Result?> run)
    {
        AppContext.SetSwitch(StomperDiagnostics.DisableSwitch, mode == "off");
        using var listener = mode switch
        {
            "metrics" => Metrics(),
            "tracing" => Tracing(),
            _ => null,
        };
        try
        {
            var result = run();
            return result is null ? null : result with { Client = result.Client + "-obs-" + mode };
        }
        finally
        {
            AppContext.SetSwitch(StomperDiagnostics.DisableSwitch, false);
        }
    }

    private static IDisposable Metrics()
    {
        long measurements = 0;
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StomperDiagnostics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };

        // What an exporter's aggregation does at the least: look at each measurement.
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => measurements += value);
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => measurements++);
        listener.Start();
        return listener;
    }

    private static IDisposable Tracing()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StomperDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
