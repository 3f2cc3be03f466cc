using System.Globalization;

namespace Stomper;

/// <summary>
/// Heart-beat negotiation as the specification has it: beats flow in a direction only
/// when both ends asked for them, at the larger of the two intervals. (The original
/// arms the read timeout when only the server offers beats, which drops idle but
/// healthy connections; we do not.)
/// </summary>
internal static class HeartBeat
{
    /// <summary>The <c>sx,sy</c> of a CONNECTED frame; a missing or malformed header means no beats.</summary>
    public static (int Sx, int Sy) Parse(string? header)
    {
        if (header is null)
        {
            return (0, 0);
        }

        var comma = header.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0
            || !int.TryParse(header.AsSpan(0, comma), NumberStyles.None, CultureInfo.InvariantCulture, out var sx)
            || !int.TryParse(header.AsSpan(comma + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sy))
        {
            return (0, 0);
        }

        return (sx, sy);
    }

    /// <summary>Milliseconds between the client's beats: max(cx, sy) when both are set, else 0.</summary>
    public static int OutgoingInterval(int cx, int sy) => cx > 0 && sy > 0 ? Math.Max(cx, sy) : 0;

    /// <summary>
    /// Milliseconds of silence after which the server counts as dead: three times
    /// max(cy, sx), as the original allows, when both are set; else 0 (no timeout).
    /// </summary>
    public static int IncomingTimeout(int cy, int sx) => cy > 0 && sx > 0 ? 3 * Math.Max(cy, sx) : 0;
}
