namespace Stomper;

/// <summary>
/// Heart-beat negotiation as the specification has it: beats flow in a direction only
/// when both ends asked for them, at the larger of the two intervals. (The original
/// arms the read timeout when only the server offers beats, which drops idle but
/// healthy connections; we do not.)
/// </summary>
internal static class HeartBeat
{
    /// <summary>
    /// Reads the <c>sx,sy</c> of a CONNECTED frame: two runs of decimal digits around one
    /// comma, blanks around each allowed (Perl's numeric reading of the original skips
    /// leading blanks). A missing header is <c>0,0</c>. Values past <see cref="int.MaxValue"/>
    /// saturate: "beat very rarely" stays that, instead of wrapping round.
    /// </summary>
    /// <returns>False when the header is present and not of that form.</returns>
    public static bool TryParse(string? header, out int sx, out int sy)
    {
        sx = sy = 0;
        if (header is null)
        {
            return true;
        }

        var comma = header.IndexOf(',', StringComparison.Ordinal);
        return comma >= 0
            && TryParseInterval(header.AsSpan(0, comma), out sx)
            && TryParseInterval(header.AsSpan(comma + 1), out sy);
    }

    /// <summary>Milliseconds between the client's beats: max(cx, sy) when both are set, else 0.</summary>
    public static int OutgoingInterval(int cx, int sy) => cx > 0 && sy > 0 ? Math.Max(cx, sy) : 0;

    /// <summary>
    /// Seconds of silence after which the server counts as dead: three times
    /// max(cy, sx) milliseconds, as the original allows, when both are set; else 0 (no
    /// timeout). Computed in floating point, so a huge interval cannot wrap round.
    /// </summary>
    public static double IncomingTimeout(int cy, int sx) => cy > 0 && sx > 0 ? ReadTimeout(Math.Max(cy, sx)) : 0;

    /// <summary>The original's read timeout for an interval of <paramref name="milliseconds"/>: three intervals, in seconds.</summary>
    public static double ReadTimeout(int milliseconds) => 3.0 * milliseconds / 1000;

    private static bool TryParseInterval(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        text = text.Trim(" \t");
        if (text.IsEmpty)
        {
            return false;
        }

        long parsed = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            parsed = Math.Min((parsed * 10) + (c - '0'), int.MaxValue);
        }

        value = (int)parsed;
        return true;
    }
}
