namespace Stomper.Async;

/// <summary>
/// A failed command of the async client: the exception form of the <c>$err</c> a Perl
/// callback receives, carrying the <see cref="StompError"/> itself (code, message, frame).
/// </summary>
public sealed class StompException : Exception
{
    /// <summary>Wraps an error reported by the engine.</summary>
    public StompException(StompError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>The error as the callback API reports it: <c>$err-&gt;code</c>, <c>$err-&gt;message</c>, <c>$err-&gt;frame</c>.</summary>
    public StompError Error { get; }

    /// <summary>The kind of failure (<see cref="StompError.Code"/>).</summary>
    public ErrorCode Code => Error.Code;
}
