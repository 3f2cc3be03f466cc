using System.Buffers;
using System.Globalization;
using System.Text;

namespace Stomper;

/// <summary>
/// Writes one STOMP frame into an <see cref="IBufferWriter{T}"/> of bytes, piece by piece,
/// without allocating: <c>COMMAND LF (name:value LF)* LF body NUL</c>.
/// </summary>
/// <remarks>
/// <para>
/// Call, in order: <see cref="WriteCommand"/>, <see cref="WriteHeader"/> for each header (and
/// <see cref="WriteContentLength"/> when a body goes out and the caller's headers lack
/// <c>content-length</c>; Perl's client adds it the same way), <see cref="EndHeaders"/>, then one
/// <c>WriteBody</c>, which writes the body and the closing NUL. A frame without a body still
/// ends with <c>WriteBody([])</c>. Out-of-order calls throw <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Headers are escaped by the version given (see <see cref="HeaderEscaping"/>): never for
/// CONNECT, STOMP or CONNECTED, nor with STOMP 1.0. Where a character cannot be escaped (a line
/// break, or a colon in a name, without escaping; a CR before 1.2) the header is refused with an
/// <see cref="ArgumentException"/> rather than sent corrupt. EOL is LF, as in the original.
/// </para>
/// <para>A ref struct: create one per frame on the stack, e.g. <c>var w = new FrameWriter(output, version);</c>.</para>
/// </remarks>
public ref struct FrameWriter
{
    private const int ContentLengthLineMax = 32;

    private readonly IBufferWriter<byte> _output;
    private readonly StompVersion _version;
    private string _command;
    private bool _escape;
    private Step _step;

    /// <summary>Starts a frame written into <paramref name="output"/> for a session speaking <paramref name="version"/>.</summary>
    /// <param name="output">Where the bytes go, e.g. the connection's pooled write buffer.</param>
    /// <param name="version">The negotiated version (1.0 before CONNECTED), which decides header escaping.</param>
    public FrameWriter(IBufferWriter<byte> output, StompVersion version)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _version = version;
        _command = string.Empty;
        _step = Step.Command;
    }

    private enum Step
    {
        Command,
        Headers,
        Body,
        Done,
    }

    /// <summary>The version whose escaping rules this writer applies.</summary>
    public readonly StompVersion Version => _version;

    /// <summary>
    /// Writes a single EOL between frames: a heart-beat. Perl's client sends one when nothing
    /// was written for the heart-beat interval.
    /// </summary>
    /// <param name="output">Where the byte goes.</param>
    public static void WriteHeartBeat(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    /// <summary>
    /// Writes a whole frame, adding <c>content-length</c> when the frame has a body and no such
    /// header. Allocates nothing.
    /// </summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="frame">The frame; its headers are written in order, repeated names included.</param>
    /// <param name="version">The negotiated version, which decides header escaping.</param>
    public static void Write(IBufferWriter<byte> output, Frame frame, StompVersion version)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var writer = new FrameWriter(output, version);
        writer.WriteCommand(frame.Command);
        bool hasLength = false;
        foreach (var header in frame.Headers)
        {
            writer.WriteHeader(header.Key, header.Value);
            hasLength |= string.Equals(header.Key, "content-length", StringComparison.Ordinal);
        }

        if (!hasLength && !frame.BodyBytes.IsEmpty)
        {
            writer.WriteContentLength(frame.BodyBytes.Length);
        }

        writer.EndHeaders();
        writer.WriteBody(frame.BodyBytes.Span);
    }

    /// <summary>Writes the command line; it decides whether headers are escaped.</summary>
    /// <param name="command">The command, e.g. <c>SEND</c> (see <see cref="StompCommands"/>).</param>
    public void WriteCommand(string command)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        Expect(Step.Command);
        _command = command;
        _escape = HeaderEscaping.Applies(command, _version);
        Span<byte> span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(command.Length) + 1);
        int written = Encoding.UTF8.GetBytes(command, span);
        span[written++] = (byte)'\n';
        _output.Advance(written);
        _step = Step.Headers;
    }

    /// <summary>Writes a <c>name:value</c> line, UTF-8 encoded and escaped straight into the output.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The header value (a <see cref="string"/> converts implicitly).</param>
    /// <exception cref="ArgumentException">The header holds a character this frame cannot carry.</exception>
    public void WriteHeader(ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        Expect(Step.Headers);
        if (!HeaderEscaping.IsEncodable(name, value, _escape, _version))
        {
            throw Errors.HeaderNotEncodable(name.ToString(), _command, _version);
        }

        Span<byte> span = _output.GetSpan(
            Encoding.UTF8.GetMaxByteCount(name.Length) + Encoding.UTF8.GetMaxByteCount(value.Length) + 2);
        int written = HeaderEscaping.EncodeUtf8(name, span, _escape, _version);
        span[written++] = (byte)':';
        written += HeaderEscaping.EncodeUtf8(value, span[written..], _escape, _version);
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    /// <summary>Writes <c>content-length:&lt;length&gt;</c>, the body's size in bytes.</summary>
    /// <param name="length">The body length in bytes.</param>
    public void WriteContentLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Expect(Step.Headers);
        Span<byte> span = _output.GetSpan(ContentLengthLineMax);
        "content-length:"u8.CopyTo(span);
        int written = "content-length:"u8.Length;
        length.TryFormat(span[written..], out int digits, default, CultureInfo.InvariantCulture);
        written += digits;
        span[written++] = (byte)'\n';
        _output.Advance(written);
    }

    /// <summary>Writes the blank line that ends the headers.</summary>
    public void EndHeaders()
    {
        Expect(Step.Headers);
        _output.GetSpan(1)[0] = (byte)'\n';
        _output.Advance(1);
        _step = Step.Body;
    }

    /// <summary>Writes the body bytes (NULs allowed when <c>content-length</c> was written) and the closing NUL.</summary>
    /// <param name="body">The body; empty for a frame without one.</param>
    public void WriteBody(ReadOnlySpan<byte> body)
    {
        Expect(Step.Body);
        _output.Write(body);
        _output.GetSpan(1)[0] = 0;
        _output.Advance(1);
        _step = Step.Done;
    }

    /// <summary>Writes a text body as UTF-8 and the closing NUL.</summary>
    /// <param name="body">The body text; its UTF-8 length is <c>Encoding.UTF8.GetByteCount(body)</c>, for <see cref="WriteContentLength"/>.</param>
    public void WriteBody(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Expect(Step.Body);
        Span<byte> span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(body.Length) + 1);
        int written = Encoding.UTF8.GetBytes(body, span);
        span[written++] = 0;
        _output.Advance(written);
        _step = Step.Done;
    }

    private readonly void Expect(Step step)
    {
        if (_step != step)
        {
            throw Errors.FrameOutOfOrder(Describe(step), Describe(_step));
        }
    }

    private static string Describe(Step step) => step switch
    {
        Step.Command => "the command",
        Step.Headers => "the headers",
        Step.Body => "the body",
        _ => "its end",
    };
}
