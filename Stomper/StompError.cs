namespace Stomper;

/// <summary>
/// An error reported to a callback: the twin of <c>AnyEvent::Stomper::Error</c>
/// (<c>$err-&gt;message</c>, <c>$err-&gt;code</c>, <c>$err-&gt;frame</c>).
/// </summary>
/// <remarks>
/// Errors are values handed to callbacks, not exceptions: as in Perl, the callback
/// receives <c>(receipt, err)</c> and inspects <see cref="Code"/>.
/// Every message text is built in one place so that the texts match the original
/// to the letter; users match on them.
/// </remarks>
public sealed class StompError
{
    /// <summary>Creates an error; the library builds its own errors with the original's texts.</summary>
    /// <param name="message">The human-readable text (<c>$err-&gt;message</c>).</param>
    /// <param name="code">The kind of failure (<c>$err-&gt;code</c>).</param>
    /// <param name="frame">The ERROR frame that caused the error, when there was one (<c>$err-&gt;frame</c>).</param>
    public StompError(string message, ErrorCode code, Frame? frame = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Message = message;
        Code = code;
        Frame = frame;
    }

    /// <summary>The error text, as <c>$err-&gt;message</c>.</summary>
    public string Message { get; }

    /// <summary>The kind of failure, as <c>$err-&gt;code</c>; compare with the <see cref="ErrorCode"/> constants.</summary>
    public ErrorCode Code { get; }

    /// <summary>
    /// The ERROR frame received from the server, as <c>$err-&gt;frame</c>; <see langword="null"/>
    /// (Perl's <c>undef</c>) when the error did not come from an ERROR frame.
    /// </summary>
    public Frame? Frame { get; }

    /// <summary>
    /// True when an ERROR frame that answered no command ended the session (a refused
    /// login, a connection the broker closed): the cluster counts it as a node failure,
    /// though its <see cref="Code"/> is the original's <see cref="ErrorCode.E_OPRN_ERROR"/>.
    /// Kept by the <c>aborted</c> and <c>lost</c> errors made from it.
    /// </summary>
    internal bool EndedSession { get; init; }

    /// <summary>
    /// Beyond the original: whether the failed command's frame may have reached the broker
    /// (the error is "in doubt"). True when a frame of it had been handed to a connection
    /// that ended before the command was answered (a SEND awaiting its RECEIPT, say): the
    /// broker may have acted on it. False when it certainly did not: never written (still
    /// queued, refused before being sent, a full send journal), or refused by the broker
    /// with an ERROR. A cluster's final error says true when any of its attempts may have
    /// been delivered. Set by the library; a fake node client of a test may set it too.
    /// </summary>
    public bool MayHaveBeenDelivered { get; init; }

    /// <summary>Returns <see cref="Message"/>, so that an error interpolates like Perl's <c>$err-&gt;message</c>.</summary>
    public override string ToString() => Message;
}
