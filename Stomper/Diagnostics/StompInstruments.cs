using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Stomper;

/// <summary>
/// The instruments of one <see cref="Meter"/> named <see cref="StomperDiagnostics.MeterName"/>:
/// the OpenTelemetry messaging conventions' where they fit, and the library's own
/// (<c>stomper.*</c>). Made once per meter and shared by every client on it.
/// </summary>
internal sealed class StompInstruments
{
    private static readonly ConditionalWeakTable<Meter, StompInstruments> s_byMeter = [];
    private static readonly Lazy<StompInstruments> s_shared = new(() => For(new Meter(StomperDiagnostics.MeterName)));

    private StompInstruments(Meter meter)
    {
        SentMessages = meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Messages the client wrote to the broker (SEND frames).");
        ConsumedMessages = meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Messages delivered to a subscription's handler (MESSAGE frames).");
        OperationDuration = meter.CreateHistogram<double>("messaging.client.operation.duration", "s", "From writing a receipted command to its RECEIPT (or ERROR).");
        ProcessDuration = meter.CreateHistogram<double>("messaging.process.duration", "s", "Time spent in a subscription's message handler.");
        Connects = meter.CreateCounter<long>("stomper.client.connects", "{connection}", "Sessions established (CONNECTED received).");
        Reconnects = meter.CreateCounter<long>("stomper.client.reconnects", "{connection}", "Sessions established after an earlier session of the same client ended.");
        Failovers = meter.CreateCounter<long>("stomper.cluster.failovers", "{failover}", "Times a cluster moved its active node on from a failed one.");
        HeartBeatTimeouts = meter.CreateCounter<long>("stomper.client.heartbeat.timeouts", "{timeout}", "Connections dropped because nothing arrived within the heart-beat read timeout.");
        PendingReceipts = meter.CreateUpDownCounter<long>("stomper.client.receipts.pending", "{receipt}", "Commands written that await their RECEIPT.");
        LiveSubscriptions = meter.CreateUpDownCounter<long>("stomper.client.subscriptions.live", "{subscription}", "Subscriptions the broker confirmed and that have not ended.");
        BytesReceived = meter.CreateCounter<long>("stomper.client.received.bytes", "By", "Bytes read from the broker, heart-beats included.");
        BytesSent = meter.CreateCounter<long>("stomper.client.sent.bytes", "By", "Bytes written to the broker, heart-beats included.");
    }

    public Counter<long> SentMessages { get; }

    public Counter<long> ConsumedMessages { get; }

    public Histogram<double> OperationDuration { get; }

    public Histogram<double> ProcessDuration { get; }

    public Counter<long> Connects { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> Failovers { get; }

    public Counter<long> HeartBeatTimeouts { get; }

    public UpDownCounter<long> PendingReceipts { get; }

    public UpDownCounter<long> LiveSubscriptions { get; }

    public Counter<long> BytesReceived { get; }

    public Counter<long> BytesSent { get; }

    /// <summary>The instruments on the factory's meter, or, without a factory, on the process's own meter.</summary>
    public static StompInstruments From(IMeterFactory? factory) =>
        factory is null ? s_shared.Value : For(factory.Create(new MeterOptions(StomperDiagnostics.MeterName)));

    // A host's factory hands back the same meter for the same name: its instruments are made once.
    private static StompInstruments For(Meter meter) => s_byMeter.GetValue(meter, m => new StompInstruments(m));
}
