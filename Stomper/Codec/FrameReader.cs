using System.Buffers;
using System.Text;

namespace Stomper;

/// <summary>
/// Parses STOMP frames out of bytes the caller has read; it never sees a socket.
/// </summary>
/// <remarks>
/// <para>
/// The caller owns a contiguous read buffer holding the bytes received and not yet consumed.
/// It calls <see cref="TryRead"/> with them, drops the <c>consumed</c> bytes from the front,
/// and repeats until <see cref="FrameReadResult.NeedMoreData"/>; then it reads from the socket,
/// appends, and calls again. After <see cref="FrameReadResult.NeedMoreData"/> nothing was
/// consumed, and the next call must present the same bytes again, followed by more: the reader
/// remembers how far it got (parsed headers, where the search for the end stopped), so a
/// large frame arriving in small pieces costs linear, not quadratic, work.
/// </para>
/// <para>
/// Grammar: <c>COMMAND EOL (header EOL)* EOL body NUL</c>, EOL being LF or CRLF. EOLs between
/// frames are heart-beats. A <c>content-length</c> header decides where the body ends (NULs may
/// sit inside; the next byte must be NUL); otherwise the body ends at the first NUL. The first of
/// repeated headers wins a lookup. Headers are unescaped by <see cref="Version"/> (none for
/// CONNECT/STOMP/CONNECTED frames). Every violation, and every exceeded <see cref="FrameLimits"/>
/// limit, is an <see cref="ErrorCode.E_UNEXPECTED_DATA"/> error, reported as soon as it is certain;
/// after an error the reader keeps answering with that error, and the connection should be closed.
/// </para>
/// <para>One reader per connection; not thread-safe.</para>
/// </remarks>
public sealed class FrameReader
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';
    private const int StackUnescapeLimit = 256;

    // Header names most frames carry; matching them avoids a string per header.
    private static readonly string[] KnownNames =
    [
        "id", "ack", "host", "login", "server", "expires", "message", "receipt", "session",
        "version", "priority", "passcode", "timestamp", "persistent", "heart-beat", "message-id",
        "receipt-id", "destination", "redelivered", "transaction", "content-type", "subscription",
        "content-length", "accept-version",
    ];

    // The known names grouped by length: a lookup compares against one or two of them.
    private static readonly int[][] KnownByLength = GroupByLength(KnownNames);

    private readonly FrameSource _source;
    private readonly FrameLimits _limits;

    private Phase _phase = Phase.BetweenFrames;
    private int _lineStart;
    private int _searchFrom;
    private string _command = string.Empty;
    private bool _unescape;
    private string[] _headers = new string[16];
    private int _headerCount;
    private int _bodyStart;
    private int _contentLength = -1;
    private StompError? _fault;

    // The last value seen per known header name: destination, subscription and
    // content-length repeat from one MESSAGE to the next, and reusing the string saves an
    // allocation per header. Strings are immutable, so sharing them is safe.
    private readonly string?[] _lastValue = new string?[KnownNames.Length];
    private int _nameSlot;

    /// <summary>Creates a reader for frames sent by <paramref name="source"/>.</summary>
    /// <param name="source">
    /// <see cref="FrameSource.Server"/> (the default) for a client, which accepts CONNECTED, MESSAGE,
    /// RECEIPT and ERROR; <see cref="FrameSource.Client"/> for a broker, which accepts client commands.
    /// </param>
    /// <param name="limits">The limits to enforce; <see langword="null"/> for <see cref="FrameLimits.Default"/>.</param>
    public FrameReader(FrameSource source = FrameSource.Server, FrameLimits? limits = null)
    {
        _source = source;
        _limits = limits ?? FrameLimits.Default;
    }

    private enum Phase
    {
        BetweenFrames,
        Command,
        Headers,
        Body,
    }

    /// <summary>Which side's frames this reader accepts.</summary>
    public FrameSource Source => _source;

    /// <summary>The limits this reader enforces.</summary>
    public FrameLimits Limits => _limits;

    /// <summary>
    /// The negotiated version, which decides header unescaping: 1.0 (no unescaping) until the
    /// caller sets the version named by CONNECTED. Set it between frames, not while one is pending.
    /// </summary>
    public StompVersion Version { get; set; } = StompVersion.V1_0;

    /// <summary>The error the reader failed with, or <see langword="null"/> while it is healthy.</summary>
    public StompError? Fault => _fault;

    /// <summary>How many bytes the delimiter searches have examined in total; lets tests prove scanning is linear.</summary>
    internal long ScannedBytes { get; private set; }

    /// <summary>
    /// Reads what the start of <paramref name="buffer"/> holds: heart-beat EOLs, a frame, or part of a frame.
    /// </summary>
    /// <param name="buffer">The unconsumed received bytes, starting where the previous call's <paramref name="consumed"/> ended.</param>
    /// <param name="frame">The parsed frame, when the result is <see cref="FrameReadResult.Frame"/>.</param>
    /// <param name="consumed">How many bytes to drop from the front of the buffer (0 unless a frame or heart-beats were read).</param>
    /// <param name="error">The protocol error, when the result is <see cref="FrameReadResult.Error"/>.</param>
    /// <returns>What was found; never throws on any input.</returns>
    public FrameReadResult TryRead(ReadOnlySpan<byte> buffer, out Frame? frame, out int consumed, out StompError? error)
    {
        frame = null;
        consumed = 0;
        error = _fault;
        if (error is not null)
        {
            return FrameReadResult.Error;
        }

        if (_phase == Phase.BetweenFrames)
        {
            int eols = CountLeadingEols(buffer);
            if (eols > 0)
            {
                consumed = eols;
                return FrameReadResult.HeartBeat;
            }

            // A CR alone may be the first half of a CRLF heart-beat: wait for the next byte.
            if (buffer.IsEmpty || (buffer.Length == 1 && buffer[0] == Cr))
            {
                return FrameReadResult.NeedMoreData;
            }

            _phase = Phase.Command;
            _searchFrom = 0;
        }

        if (_phase == Phase.Command && !TryReadCommand(buffer, ref error))
        {
            return Incomplete(buffer, ref error);
        }

        if (_phase == Phase.Headers && !TryReadHeaders(buffer, ref error))
        {
            return Incomplete(buffer, ref error);
        }

        int nul = FindBodyEnd(buffer, ref error);
        if (nul < 0)
        {
            return Incomplete(buffer, ref error);
        }

        frame = new Frame(_command, TakeHeaders(), buffer[_bodyStart..nul].ToArray());
        consumed = nul + 1;
        _phase = Phase.BetweenFrames;
        return FrameReadResult.Frame;
    }

    private static int CountLeadingEols(ReadOnlySpan<byte> buffer)
    {
        int i = 0;
        while (i < buffer.Length)
        {
            if (buffer[i] == Lf)
            {
                i++;
            }
            else if (buffer[i] == Cr && i + 1 < buffer.Length && buffer[i + 1] == Lf)
            {
                i += 2;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private FrameReadResult Incomplete(ReadOnlySpan<byte> buffer, ref StompError? error)
    {
        // A pending frame as long as the limit can only complete beyond it.
        if (error is null && buffer.Length >= _limits.MaxFrameSize)
        {
            error = Errors.FrameTooLarge(_limits.MaxFrameSize);
        }

        if (error is null)
        {
            return FrameReadResult.NeedMoreData;
        }

        _fault = error;
        return FrameReadResult.Error;
    }

    /// <summary>Searches <paramref name="value"/> in buffer[_searchFrom..end), remembering how far it got.</summary>
    private int Find(ReadOnlySpan<byte> buffer, byte value, int end)
    {
        end = Math.Min(end, buffer.Length);
        if (end <= _searchFrom)
        {
            return -1;
        }

        int found = buffer[_searchFrom..end].IndexOf(value);
        ScannedBytes += found < 0 ? end - _searchFrom : found + 1;
        if (found < 0)
        {
            _searchFrom = end;
            return -1;
        }

        return _searchFrom + found;
    }

    private static int LineEnd(ReadOnlySpan<byte> buffer, int lineStart, int lf) =>
        lf > lineStart && buffer[lf - 1] == Cr ? lf - 1 : lf;

    private bool TryReadCommand(ReadOnlySpan<byte> buffer, ref StompError? error)
    {
        int max = _limits.MaxCommandLineLength;
        int lf = Find(buffer, Lf, (long)max + 2 > int.MaxValue ? int.MaxValue : max + 2);
        if (lf < 0)
        {
            if (buffer.Length > max + 1)
            {
                error = Errors.CommandLineTooLong(max);
            }

            return false;
        }

        var name = buffer[..LineEnd(buffer, 0, lf)];
        if (name.Length > max)
        {
            error = Errors.CommandLineTooLong(max);
            return false;
        }

        if (!StompCommands.TryMatch(name, _source, out _command))
        {
            error = Errors.UnknownCommand(name);
            return false;
        }

        _unescape = HeaderEscaping.Applies(_command, Version);
        _headerCount = 0;
        _contentLength = -1;
        _lineStart = _searchFrom = lf + 1;
        _phase = Phase.Headers;
        return true;
    }

    private bool TryReadHeaders(ReadOnlySpan<byte> buffer, ref StompError? error)
    {
        int max = _limits.MaxHeaderLineLength;
        while (true)
        {
            long window = (long)_lineStart + max + 2;
            int lf = Find(buffer, Lf, window > int.MaxValue ? int.MaxValue : (int)window);
            if (lf < 0)
            {
                if (buffer.Length - _lineStart > max + 1)
                {
                    error = Errors.HeaderLineTooLong(max);
                }

                return false;
            }

            // Even a blank line here leaves at least the NUL to come: refuse before decoding more.
            if (lf + 2 > _limits.MaxFrameSize)
            {
                error = Errors.FrameTooLarge(_limits.MaxFrameSize);
                return false;
            }

            var line = buffer[_lineStart..LineEnd(buffer, _lineStart, lf)];
            _lineStart = _searchFrom = lf + 1;
            if (line.IsEmpty)
            {
                _bodyStart = lf + 1;
                return TryStartBody(ref error);
            }

            if (line.Length > max)
            {
                error = Errors.HeaderLineTooLong(max);
                return false;
            }

            if (_headerCount == _limits.MaxHeaderCount)
            {
                error = Errors.TooManyHeaders(_limits.MaxHeaderCount);
                return false;
            }

            if (!TryAddHeader(line, ref error))
            {
                return false;
            }
        }
    }

    private bool TryAddHeader(ReadOnlySpan<byte> line, ref StompError? error)
    {
        int colon = line.IndexOf((byte)':');
        if (colon < 0)
        {
            error = Errors.HeaderWithoutColon(line);
            return false;
        }

        if (colon == 0)
        {
            error = Errors.EmptyHeaderName();
            return false;
        }

        _nameSlot = -1;
        string? name = Decode(line[..colon], isName: true, ref error);
        string? value = name is null ? null : RepeatedValue(line[(colon + 1)..]) ?? Decode(line[(colon + 1)..], isName: false, ref error);
        if (name is null || value is null)
        {
            return false;
        }

        if (_headers.Length < (_headerCount + 1) * 2)
        {
            Array.Resize(ref _headers, _headers.Length * 2);
        }

        _headers[_headerCount * 2] = name;
        _headers[(_headerCount * 2) + 1] = value;
        _headerCount++;
        return true;
    }

    private string? Decode(ReadOnlySpan<byte> raw, bool isName, ref StompError? error)
    {
        if (!_unescape || raw.IndexOf((byte)'\\') < 0)
        {
            return isName ? NameOf(raw) : Encoding.UTF8.GetString(raw);
        }

        byte[]? rented = raw.Length > StackUnescapeLimit ? ArrayPool<byte>.Shared.Rent(raw.Length) : null;
        Span<byte> unescaped = rented ?? stackalloc byte[StackUnescapeLimit];
        try
        {
            switch (HeaderEscaping.TryUnescape(raw, unescaped, Version, out int written, out byte bad))
            {
                case HeaderEscaping.UnescapeStatus.Done:
                    return isName ? NameOf(unescaped[..written]) : Encoding.UTF8.GetString(unescaped[..written]);
                case HeaderEscaping.UnescapeStatus.UndefinedEscape:
                    error = Errors.UndefinedEscape(bad);
                    return null;
                default:
                    error = Errors.DanglingEscape();
                    return null;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The name as a string, the known ones without allocating; notes which known name it was in <see cref="_nameSlot"/>.</summary>
    private string NameOf(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < KnownByLength.Length)
        {
            foreach (int slot in KnownByLength[raw.Length])
            {
                if (Ascii.Equals(raw, KnownNames[slot]))
                {
                    _nameSlot = slot;
                    return KnownNames[slot];
                }
            }
        }

        return Encoding.UTF8.GetString(raw);
    }

    private static int[][] GroupByLength(string[] names)
    {
        var groups = new int[names.Max(n => n.Length) + 1][];
        for (int length = 0; length < groups.Length; length++)
        {
            groups[length] = Enumerable.Range(0, names.Length).Where(i => names[i].Length == length).ToArray();
        }

        return groups;
    }

    /// <summary>
    /// The value of a known header when its raw bytes equal the last value read for that
    /// name and need no unescaping; otherwise null, and the caller decodes (and we remember).
    /// </summary>
    private string? RepeatedValue(ReadOnlySpan<byte> raw)
    {
        int slot = _nameSlot;
        if (slot < 0 || (_unescape && raw.IndexOf((byte)'\\') >= 0))
        {
            return null;
        }

        if (_lastValue[slot] is { } last && last.Length == raw.Length && Ascii.Equals(raw, last))
        {
            return last;
        }

        // Remember only short ASCII values: those are the ones that repeat.
        if (raw.Length <= 64 && Ascii.IsValid(raw))
        {
            return _lastValue[slot] = Encoding.ASCII.GetString(raw);
        }

        return null;
    }

    private bool TryStartBody(ref StompError? error)
    {
        for (int i = 0; i < _headerCount; i++)
        {
            if (string.Equals(_headers[i * 2], "content-length", StringComparison.Ordinal))
            {
                string text = _headers[(i * 2) + 1];
                if (!TryParseLength(text, out long length))
                {
                    error = Errors.InvalidContentLength(text);
                    return false;
                }

                if (_bodyStart + length + 1 > _limits.MaxFrameSize)
                {
                    error = Errors.FrameTooLarge(_limits.MaxFrameSize);
                    return false;
                }

                _contentLength = (int)length;
                break;
            }
        }

        if (_bodyStart + 1 > _limits.MaxFrameSize)
        {
            error = Errors.FrameTooLarge(_limits.MaxFrameSize);
            return false;
        }

        _searchFrom = _bodyStart;
        _phase = Phase.Body;
        return true;
    }

    /// <summary>Decimal digits only: no sign, no blanks. Lengths past <see cref="int.MaxValue"/> saturate, to be refused by the frame limit.</summary>
    private static bool TryParseLength(string text, out long length)
    {
        length = 0;
        if (text.Length == 0)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            length = Math.Min((length * 10) + (c - '0'), int.MaxValue + 1L);
        }

        return true;
    }

    private int FindBodyEnd(ReadOnlySpan<byte> buffer, ref StompError? error)
    {
        if (_contentLength >= 0)
        {
            int nul = _bodyStart + _contentLength;
            if (buffer.Length <= nul)
            {
                return -1;
            }

            if (buffer[nul] != 0)
            {
                error = Errors.MissingNulAfterBody();
                return -1;
            }

            return nul;
        }

        // The search never looks past the limit, so hostile input cannot make it scan further.
        int found = Find(buffer, 0, _limits.MaxFrameSize);
        if (found < 0 && buffer.Length >= _limits.MaxFrameSize)
        {
            error = Errors.FrameTooLarge(_limits.MaxFrameSize);
        }

        return found;
    }

    private FrameHeaders TakeHeaders()
    {
        if (_headerCount == 0)
        {
            return FrameHeaders.Empty;
        }

        var pairs = new string[_headerCount * 2];
        Array.Copy(_headers, pairs, pairs.Length);
        Array.Clear(_headers, 0, pairs.Length);
        return FrameHeaders.FromPairs(pairs);
    }
}
