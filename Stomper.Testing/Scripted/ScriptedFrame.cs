namespace Stomper.Testing;

/// <summary>A frame a client sent to a <see cref="ScriptedStompServer"/>, with the connection it came on.</summary>
/// <param name="Connection">The connection (and through it <see cref="ScriptedConnection.Node"/>, the host:port it was meant for).</param>
/// <param name="Frame">The frame as parsed, headers unescaped by the version then negotiated.</param>
public sealed record ScriptedFrame(ScriptedConnection Connection, Frame Frame)
{
    /// <summary>The frame's command.</summary>
    public string Command => Frame.Command;

    /// <summary>The first header of that name, or null.</summary>
    public string? this[string header] => Frame.Headers[header];

    /// <inheritdoc/>
    public override string ToString() => $"{Connection} {Frame.Command}" + (this["receipt"] is { } r ? $" receipt:{r}" : string.Empty);
}
