using System.Collections;

namespace Stomper;

/// <summary>
/// The headers of a frame: name/value pairs in wire order. Looking a name up gives the
/// FIRST occurrence, as the STOMP specification says for repeated headers.
/// </summary>
/// <remarks>
/// Perl's <c>$frame-&gt;headers-&gt;{'message-id'}</c> becomes <c>frame.Headers["message-id"]</c>,
/// which is <see langword="null"/> where Perl gives <c>undef</c>. Unlike the Perl hash, repeated
/// headers are all kept (enumerate them in wire order), and the first, not the last, wins a lookup.
/// Names are case-sensitive, as on the wire. Instances are immutable.
/// </remarks>
public sealed class FrameHeaders : IReadOnlyList<KeyValuePair<string, string>>
{
    // name0, value0, name1, value1, ...: one exact-size array per frame.
    private readonly string[] _pairs;

    /// <summary>Creates headers from name/value tuples, in the order given.</summary>
    /// <param name="headers">The headers, e.g. <c>new FrameHeaders(("destination", "/queue/a"), ("persistent", "true"))</c>.</param>
    public FrameHeaders(params ReadOnlySpan<(string Name, string Value)> headers)
    {
        _pairs = headers.Length == 0 ? [] : new string[headers.Length * 2];
        for (int i = 0; i < headers.Length; i++)
        {
            _pairs[2 * i] = headers[i].Name ?? throw Errors.HeaderNameNull(nameof(headers));
            _pairs[(2 * i) + 1] = headers[i].Value ?? throw Errors.HeaderValueNull(nameof(headers));
        }
    }

    /// <summary>Creates headers from name/value pairs, in enumeration order.</summary>
    /// <param name="headers">The headers.</param>
    public FrameHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var pairs = new List<string>();
        foreach (var (name, value) in headers)
        {
            pairs.Add(name ?? throw Errors.HeaderNameNull(nameof(headers)));
            pairs.Add(value ?? throw Errors.HeaderValueNull(nameof(headers)));
        }

        _pairs = [.. pairs];
    }

    private FrameHeaders(string[] pairs) => _pairs = pairs;

    /// <summary>No headers.</summary>
    public static FrameHeaders Empty { get; } = new FrameHeaders(Array.Empty<string>());

    /// <summary>The number of header lines, repeated names included.</summary>
    public int Count => _pairs.Length / 2;

    /// <summary>
    /// The value of the first header named <paramref name="name"/>, or <see langword="null"/> when
    /// there is none (Perl's <c>undef</c>).
    /// </summary>
    /// <param name="name">The header name, case-sensitive.</param>
    public string? this[string name]
    {
        get
        {
            TryGetValue(name, out string? value);
            return value;
        }
    }

    /// <summary>The header at a position in wire order.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    public KeyValuePair<string, string> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return new(_pairs[2 * index], _pairs[(2 * index) + 1]);
        }
    }

    /// <summary>Whether a header named <paramref name="name"/> is present (Perl's <c>exists</c>).</summary>
    /// <param name="name">The header name, case-sensitive.</param>
    public bool ContainsKey(string name) => IndexOf(name) >= 0;

    /// <summary>Gets the value of the first header named <paramref name="name"/>.</summary>
    /// <param name="name">The header name, case-sensitive.</param>
    /// <param name="value">The first occurrence's value, or <see langword="null"/> when absent.</param>
    /// <returns>Whether the header is present.</returns>
    public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        int i = IndexOf(name);
        value = i >= 0 ? _pairs[i + 1] : null;
        return i >= 0;
    }

    /// <summary>Enumerates the headers in wire order without allocating.</summary>
    public Enumerator GetEnumerator() => new(_pairs);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Shows the headers as they appear on the wire (unescaped), one <c>name:value</c> per line.</summary>
    public override string ToString() =>
        string.Join('\n', this.Select(h => h.Key + ":" + h.Value));

    /// <summary>Takes ownership of a name/value array built by the frame reader; no copy.</summary>
    internal static FrameHeaders FromPairs(string[] pairs) => pairs.Length == 0 ? Empty : new FrameHeaders(pairs);

    private int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < _pairs.Length; i += 2)
        {
            if (string.Equals(_pairs[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An allocation-free enumerator over the headers in wire order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly string[] _pairs;
        private int _index;

        internal Enumerator(string[] pairs)
        {
            _pairs = pairs;
            _index = -2;
        }

        /// <summary>The current header.</summary>
        public readonly KeyValuePair<string, string> Current => new(_pairs[_index], _pairs[_index + 1]);

        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next header.</summary>
        /// <returns>Whether there was one.</returns>
        public bool MoveNext()
        {
            _index += 2;
            return _index < _pairs.Length;
        }

        /// <summary>Restarts the enumeration.</summary>
        public void Reset() => _index = -2;

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }
}
