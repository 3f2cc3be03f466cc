namespace Stomper.Testing;

/// <summary>One upgrade request a <see cref="WebSocketGateway"/> read: what the client asked for.</summary>
/// <param name="Path">The request's path and query.</param>
/// <param name="Headers">Its headers, names in lower case (a repeated header's values joined by commas).</param>
public sealed record WebSocketUpgradeRequest(string Path, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The subprotocols offered, in order.</summary>
    public IReadOnlyList<string> Subprotocols =>
        Headers.TryGetValue("sec-websocket-protocol", out var offered)
            ? offered.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [];
}
