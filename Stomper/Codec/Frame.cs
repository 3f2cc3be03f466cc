using System.Text;

namespace Stomper;

/// <summary>
/// A STOMP frame: a command, headers and a body. The twin of <c>AnyEvent::Stomper::Frame</c>
/// (<c>$frame-&gt;command</c>, <c>$frame-&gt;headers</c>, <c>$frame-&gt;body</c>).
/// </summary>
/// <remarks>
/// The body is bytes on the wire. <see cref="Body"/> gives it as UTF-8 text, the common case
/// (Perl's <c>$msg-&gt;body</c>); <see cref="BodyBytes"/> gives it byte-exact, NULs included,
/// for binary payloads. Frames are immutable.
/// </remarks>
public sealed class Frame
{
    private string? _body;

    /// <summary>The cluster's record of the node connection that delivered this MESSAGE, so that its ACK goes back there, or fails at once once that connection is gone.</summary>
    internal object? DeliveredBy { get; set; }

    /// <summary>The key (id, else destination) of the client's subscription that took this MESSAGE, so that its ACK settles under the same key, however the MESSAGE was routed there.</summary>
    internal string? SubscriptionKey { get; set; }

    /// <summary>Creates a frame with a byte body.</summary>
    /// <param name="command">The command, e.g. <c>SEND</c>.</param>
    /// <param name="headers">The headers; <see langword="null"/> for none.</param>
    /// <param name="body">The body bytes; the frame keeps this memory, it does not copy it.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads",
        Justification = "Both constructors shipped together in the first release: no compiled caller can be rebound by the text-body overload, whose body cannot be optional without making the two ambiguous.")]
    public Frame(string command, FrameHeaders? headers = null, ReadOnlyMemory<byte> body = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        Command = command;
        Headers = headers ?? FrameHeaders.Empty;
        BodyBytes = body;
    }

    /// <summary>Creates a frame with a text body, sent as UTF-8.</summary>
    /// <param name="command">The command, e.g. <c>SEND</c>.</param>
    /// <param name="headers">The headers; <see langword="null"/> for none.</param>
    /// <param name="body">The body text.</param>
    public Frame(string command, FrameHeaders? headers, string body)
        : this(command, headers, Encoding.UTF8.GetBytes(body ?? throw new ArgumentNullException(nameof(body))))
    {
        _body = body;
    }

    /// <summary>The command, e.g. <c>MESSAGE</c> (Perl's <c>$frame-&gt;command</c>).</summary>
    public string Command { get; }

    /// <summary>The headers in wire order; a lookup by name gives the first occurrence (Perl's <c>$frame-&gt;headers</c>).</summary>
    public FrameHeaders Headers { get; }

    /// <summary>The body exactly as on the wire, NULs included; empty when the frame has none.</summary>
    public ReadOnlyMemory<byte> BodyBytes { get; }

    /// <summary>
    /// The body decoded as UTF-8 (Perl's <c>$frame-&gt;body</c>); decoded on first use and kept.
    /// Invalid UTF-8 sequences become U+FFFD; use <see cref="BodyBytes"/> for binary payloads.
    /// </summary>
    public string Body => _body ??= Encoding.UTF8.GetString(BodyBytes.Span);

    /// <summary>A short description for logs: the command, header count and body size.</summary>
    public override string ToString() => $"{Command} ({Headers.Count} headers, {BodyBytes.Length} body bytes)";
}
