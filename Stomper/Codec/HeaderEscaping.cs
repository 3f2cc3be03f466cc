using System.Buffers;
using System.Text;

namespace Stomper;

/// <summary>
/// Header escaping by STOMP version: none in 1.0 and never in CONNECT/CONNECTED;
/// 1.1 escapes LF (<c>\n</c>), colon (<c>\c</c>) and backslash (<c>\\</c>); 1.2 adds CR (<c>\r</c>).
/// </summary>
/// <remarks>
/// The Perl original escaped <c>\r \n : \</c> in every frame and version, which a 1.0 or
/// 1.1 peer misreads; the port follows the specification. On input, any other backslash
/// sequence is a protocol error.
/// </remarks>
public static class HeaderEscaping
{
    private static readonly SearchValues<char> Escaped11 = SearchValues.Create("\n:\\");
    private static readonly SearchValues<char> Escaped12 = SearchValues.Create("\r\n:\\");
    private static readonly SearchValues<char> LineBreaks = SearchValues.Create("\r\n");
    private static readonly SearchValues<char> LineBreaksAndColon = SearchValues.Create("\r\n:");

    /// <summary>Whether headers of a <paramref name="command"/> frame are escaped in <paramref name="version"/>.</summary>
    /// <param name="command">The frame's command; CONNECT, STOMP and CONNECTED are never escaped.</param>
    /// <param name="version">The negotiated version (1.0 before CONNECTED arrives).</param>
    public static bool Applies(string command, StompVersion version) =>
        version >= StompVersion.V1_1 && !StompCommands.IsConnectionHandshake(command);

    /// <summary>Escapes a header name or value for a frame whose headers are escaped in <paramref name="version"/>.</summary>
    /// <param name="value">The text to escape.</param>
    /// <param name="version">The version; 1.0 returns the text unchanged.</param>
    /// <returns>The escaped text, e.g. <c>a\cb</c> for <c>a:b</c> in 1.1 and 1.2.</returns>
    public static string Escape(string value, StompVersion version)
    {
        ArgumentNullException.ThrowIfNull(value);
        var specials = SpecialsOf(version);
        if (specials is null || value.AsSpan().IndexOfAny(specials) < 0)
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            if (specials.Contains(c))
            {
                text.Append('\\').Append(EscapeLetter(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    /// <summary>Unescapes a header name or value read from a frame whose headers are escaped in <paramref name="version"/>.</summary>
    /// <param name="escaped">The text as it was on the wire.</param>
    /// <param name="version">The version; 1.0 returns the text unchanged.</param>
    /// <param name="value">The unescaped text, or <see langword="null"/> on failure.</param>
    /// <returns><see langword="false"/> when the text holds an undefined escape sequence (a protocol error).</returns>
    public static bool TryUnescape(string escaped, StompVersion version, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(escaped);
        if (version == StompVersion.V1_0)
        {
            value = escaped;
            return true;
        }

        byte[] raw = Encoding.UTF8.GetBytes(escaped);
        byte[] unescaped = new byte[raw.Length];
        if (TryUnescape(raw, unescaped, version, out int written, out _) != UnescapeStatus.Done)
        {
            value = null;
            return false;
        }

        value = Encoding.UTF8.GetString(unescaped, 0, written);
        return true;
    }

    /// <summary>The outcome of unescaping raw header bytes.</summary>
    internal enum UnescapeStatus
    {
        Done,
        UndefinedEscape,
        DanglingBackslash,
    }

    /// <summary>
    /// Unescapes raw UTF-8 header bytes into <paramref name="destination"/> (at least as long as
    /// <paramref name="raw"/>). Escapes are ASCII, so working on bytes is exact.
    /// </summary>
    internal static UnescapeStatus TryUnescape(ReadOnlySpan<byte> raw, Span<byte> destination, StompVersion version, out int written, out byte badEscape)
    {
        written = 0;
        badEscape = 0;
        while (true)
        {
            int backslash = raw.IndexOf((byte)'\\');
            if (backslash < 0)
            {
                raw.CopyTo(destination[written..]);
                written += raw.Length;
                return UnescapeStatus.Done;
            }

            raw[..backslash].CopyTo(destination[written..]);
            written += backslash;
            if (backslash + 1 >= raw.Length)
            {
                return UnescapeStatus.DanglingBackslash;
            }

            byte letter = raw[backslash + 1];
            byte decoded = letter switch
            {
                (byte)'n' => (byte)'\n',
                (byte)'c' => (byte)':',
                (byte)'\\' => (byte)'\\',
                (byte)'r' when version >= StompVersion.V1_2 => (byte)'\r',
                _ => 0,
            };
            if (decoded == 0)
            {
                badEscape = letter;
                return UnescapeStatus.UndefinedEscape;
            }

            destination[written++] = decoded;
            raw = raw[(backslash + 2)..];
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> as UTF-8 into <paramref name="destination"/>, escaped for
    /// <paramref name="version"/> when <paramref name="escape"/> is set. The destination must hold
    /// <see cref="Encoding.GetMaxByteCount"/> bytes of the text (an escape takes 2 bytes, at most
    /// what a character may take in UTF-8). Allocates nothing.
    /// </summary>
    /// <returns>The bytes written. Whether the text may travel at all is <see cref="IsEncodable"/>'s question, asked first.</returns>
    internal static int EncodeUtf8(ReadOnlySpan<char> text, Span<byte> destination, bool escape, StompVersion version)
    {
        var specials = escape ? SpecialsOf(version) : null;
        if (specials is null)
        {
            return Encoding.UTF8.GetBytes(text, destination);
        }

        int written = 0;
        while (true)
        {
            int special = text.IndexOfAny(specials);
            if (special < 0)
            {
                return written + Encoding.UTF8.GetBytes(text, destination[written..]);
            }

            // Specials are ASCII, so cutting before one never splits a surrogate pair.
            written += Encoding.UTF8.GetBytes(text[..special], destination[written..]);
            destination[written++] = (byte)'\\';
            destination[written++] = (byte)EscapeLetter(text[special]);
            text = text[(special + 1)..];
        }
    }

    /// <summary>
    /// Whether a header can be written without corrupting the frame: where a character cannot be
    /// escaped, a line break would end the header early and a colon in the name would move the
    /// split point. A raw CR is refused wherever <c>\r</c> is not defined, since a CR before the
    /// line's LF is read as part of a CRLF.
    /// </summary>
    internal static bool IsEncodable(ReadOnlySpan<char> name, ReadOnlySpan<char> value, bool escape, StompVersion version)
    {
        if (!escape || version == StompVersion.V1_0)
        {
            return name.IndexOfAny(LineBreaksAndColon) < 0 && value.IndexOfAny(LineBreaks) < 0;
        }

        return version >= StompVersion.V1_2 || (name.IndexOf('\r') < 0 && value.IndexOf('\r') < 0);
    }

    private static SearchValues<char>? SpecialsOf(StompVersion version) => version switch
    {
        StompVersion.V1_0 => null,
        StompVersion.V1_1 => Escaped11,
        _ => Escaped12,
    };

    private static char EscapeLetter(char special) => special switch
    {
        '\n' => 'n',
        '\r' => 'r',
        ':' => 'c',
        _ => '\\',
    };
}
