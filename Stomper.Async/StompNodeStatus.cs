namespace Stomper.Async;

/// <summary>
/// What one node (one server) of an <see cref="AsyncStomperClient"/> looks like at one moment,
/// from <see cref="AsyncStomperClient.GetNodeStatusAsync"/>: the original had no such view
/// (its users watched <c>on_node_connect</c> / <c>on_node_error</c>); health checks need one.
/// </summary>
/// <param name="Host">The node's host.</param>
/// <param name="Port">The node's port.</param>
public sealed record StompNodeStatus(string Host, int Port)
{
    /// <summary>Commands go to this node now (a single server is always active).</summary>
    public bool IsActive { get; init; }

    /// <summary>The node's session is up (CONNECTED received, connection alive). A cluster's other nodes stay unconnected until a failover makes them active, as in the original.</summary>
    public bool IsConnected { get; init; }

    /// <summary>The client itself stopped reading from the node (a full subscription buffer): the node's <see cref="Silence"/> is then none of the node's doing.</summary>
    public bool IsReadingPaused { get; init; }

    /// <summary>How long the node has been silent, as <see cref="StomperClient.Silence"/> counts it; null when not connected (or when the node's client is not a <see cref="StomperClient"/>).</summary>
    public TimeSpan? Silence { get; init; }

    /// <summary>The silence that ends the session with <c>Read timed out.</c> (<see cref="StomperClient.ReadTimeout"/>); zero when no heart-beats from the node were agreed.</summary>
    public TimeSpan ReadTimeout { get; init; }
}
