namespace Stomper.Chaos;

/// <summary>
/// One fault a scenario caused: what, to which node (port 0: all of them), and when, on
/// <see cref="ChaosClock"/>.
/// </summary>
internal sealed class Fault(string what, int victimPort, double started, bool clientSeesAtOnce)
{
    public string What { get; } = what;

    public int VictimPort { get; } = victimPort;

    /// <summary>When the script was started.</summary>
    public double Started { get; } = started;

    /// <summary>When the script returned: the fault is in place by then.</summary>
    public double Ended { get; set; } = double.NaN;

    /// <summary>
    /// A kill or a closed connection reaches the client at once (its node reports it within
    /// the script's run); a paused node is only found out by the heart-beats, so that fault
    /// counts from <see cref="Started"/>.
    /// </summary>
    public bool ClientSeesAtOnce { get; } = clientSeesAtOnce;

    /// <summary>After a full outage: when the first node answered a STOMP CONNECT again.</summary>
    public double? NodeBack { get; set; }

    /// <summary>
    /// Whether <paramref name="receipt"/> shows the stream past this fault, timed from
    /// <paramref name="from"/> (<see cref="TimedFrom"/>): it came later, and either another
    /// node was active, or its SEND was issued once the fault was surely in place (a paused
    /// node resumed may take the stream back; what it answered before the signal landed, or
    /// read from its socket after the pause, says nothing). A kill is in place at the
    /// victim's first report, a pause once its script returned.
    /// </summary>
    public bool IsPast(SendReceipt receipt, double from) =>
        receipt.At > from && (receipt.ActivePort != VictimPort || receipt.IssuedAt > (ClientSeesAtOnce ? from : Ended));

    /// <summary>
    /// The moment the failover is timed from: the node's first report once the script ran
    /// (the kill itself, to within a loop pass), else the script's end; a pause from the
    /// start of the script; an outage from the first node back.
    /// </summary>
    public double TimedFrom(IReadOnlyList<NodeEvent> events)
    {
        if (NodeBack is { } back)
        {
            return back;
        }

        if (!ClientSeesAtOnce)
        {
            return Started;
        }

        var first = events.FirstOrDefault(e => e.At >= Started && (VictimPort == 0 || e.Port == VictimPort) && e.Kind is "error" or "disconnect");
        return first is not null && first.At < Ended ? first.At : Ended;
    }
}
