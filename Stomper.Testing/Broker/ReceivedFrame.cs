namespace Stomper.Testing;

/// <summary>A frame a <see cref="FakeBroker"/> received, with the connection it came on and when.</summary>
/// <param name="Connection">The connection's index, in accept order from 0 (<see cref="FakeConnection.Index"/>).</param>
/// <param name="Frame">The frame as parsed, headers unescaped by the version then negotiated.</param>
/// <param name="At">When it was parsed, on the broker's monotonic clock (<see cref="FakeBroker.Elapsed"/>).</param>
public sealed record ReceivedFrame(int Connection, Frame Frame, TimeSpan At)
{
    /// <summary>The frame's command.</summary>
    public string Command => Frame.Command;

    /// <summary>The first header of that name, or null.</summary>
    public string? this[string header] => Frame.Headers[header];

    /// <inheritdoc/>
    public override string ToString() => $"#{Connection} {Frame.Command}" + (this["receipt"] is { } r ? $" receipt:{r}" : string.Empty);
}

/// <summary>Heart-beat EOLs a <see cref="FakeBroker"/> received between frames.</summary>
/// <param name="Connection">The connection's index.</param>
/// <param name="At">When they were read, on the broker's monotonic clock.</param>
/// <param name="Eols">How many EOLs arrived together (a client that fell behind may send several).</param>
public sealed record ReceivedHeartBeat(int Connection, TimeSpan At, int Eols);

/// <summary>A subscription a client made on a <see cref="FakeBroker"/>.</summary>
/// <param name="Key">What identifies it: <c>id</c>, or <c>destination</c> for a 1.0 client that gave no id.</param>
/// <param name="Id">The <c>id</c> header, null when absent (1.0 only).</param>
/// <param name="Destination">The <c>destination</c> header.</param>
/// <param name="Ack">The <c>ack</c> mode: <c>auto</c>, <c>client</c> or <c>client-individual</c>.</param>
public sealed record FakeSubscription(string Key, string? Id, string Destination, string Ack);
