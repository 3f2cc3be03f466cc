namespace Stomper.Cluster;

/// <summary>One entry of the seed's <c>nodes =&gt; [ { host =&gt; ..., port =&gt; ... } ]</c>.</summary>
/// <param name="Host">The node's host name or address.</param>
/// <param name="Port">The node's STOMP port.</param>
public sealed record ClusterNode(string Host, int Port)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Host}:{Port}";
}
