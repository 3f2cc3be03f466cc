using System.Diagnostics;

namespace Stomper;

/// <summary>
/// The names under which the library reports to .NET's diagnostics (the Perl original had
/// only <c>on_error</c>): the <see cref="System.Diagnostics.Metrics.Meter"/> and the
/// <see cref="ActivitySource"/> are both called <c>"Stomper"</c>, so
/// <c>AddMeter(StomperDiagnostics.MeterName)</c> and <c>AddSource(StomperDiagnostics.ActivitySourceName)</c>
/// in OpenTelemetry's builders turn them on. See docs/observability.md.
/// </summary>
public static class StomperDiagnostics
{
    /// <summary>The name of the meter every client and cluster reports its instruments on.</summary>
    public const string MeterName = "Stomper";

    /// <summary>The name of the activity source of the SEND, MESSAGE, ACK/NACK and transaction spans.</summary>
    public const string ActivitySourceName = "Stomper";

    /// <summary>
    /// An <see cref="AppContext"/> switch (<c>AppContext.SetSwitch("Stomper.Diagnostics.Disable", true)</c>,
    /// or <c>&lt;RuntimeHostConfigurationOption&gt;</c> in the project): clients made while it is on skip
    /// every per-message check for listeners, as if the feature were not compiled in. Connection
    /// events are still logged. For measuring the feature's cost; nothing else needs it.
    /// </summary>
    public const string DisableSwitch = "Stomper.Diagnostics.Disable";

    private static volatile DistributedContextPropagator? s_propagator;

    /// <summary>
    /// Writes the trace context into SEND headers and reads it from MESSAGE headers
    /// (as RabbitMQ.Client's <c>ContextInjector</c>/<c>ContextExtractor</c> can be replaced).
    /// Null, the default, means <see cref="DistributedContextPropagator.Current"/> at each use:
    /// W3C <c>traceparent</c> and <c>tracestate</c> unless the process chose otherwise.
    /// Used only while an activity exists: with no listener no header is added.
    /// </summary>
    public static DistributedContextPropagator? Propagator
    {
        get => s_propagator;
        set => s_propagator = value;
    }

    internal static DistributedContextPropagator CurrentPropagator => s_propagator ?? DistributedContextPropagator.Current;

    internal static ActivitySource Source { get; } = new(ActivitySourceName, typeof(StomperDiagnostics).Assembly.GetName().Version?.ToString());
}
