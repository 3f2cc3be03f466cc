namespace Stomper.Cluster;

/// <summary>One entry of the seed's <c>nodes =&gt; [ { host =&gt; ..., port =&gt; ... } ]</c>.</summary>
/// <param name="Host">The node's host name or address.</param>
/// <param name="Port">The node's STOMP port.</param>
public sealed record ClusterNode(string Host, int Port)
{
    /// <summary>
    /// A node reached by STOMP over WebSocket (<c>new ClusterNode(new Uri("ws://rabbit1:15674/ws"))</c>):
    /// <see cref="Host"/> and <see cref="Port"/> are the URL's, and the node's client connects
    /// to <see cref="Url"/>. Not in the original, whose nodes are TCP only; a cluster may mix both.
    /// </summary>
    /// <param name="url">A <c>ws://</c> or <c>wss://</c> URL.</param>
    public ClusterNode(Uri url)
        : this((url ?? throw new ArgumentNullException(nameof(url))).Host, url.Port)
    {
        Url = url;
    }

    /// <summary>The node's WebSocket URL (<see cref="StomperOptions.Url"/>); null for a TCP (or TLS) node.</summary>
    public Uri? Url { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Url?.ToString() ?? $"{Host}:{Port}";
}
