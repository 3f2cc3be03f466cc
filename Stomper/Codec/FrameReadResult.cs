namespace Stomper;

/// <summary>What one call of <see cref="FrameReader.TryRead"/> found at the start of the buffer.</summary>
public enum FrameReadResult
{
    /// <summary>The buffer holds only part of a frame; nothing was consumed. Call again with the same bytes and more.</summary>
    NeedMoreData,

    /// <summary>A complete frame was parsed and consumed.</summary>
    Frame,

    /// <summary>
    /// One or more EOLs (LF or CRLF) between frames were consumed: heart-beats. Any inbound data
    /// counts for heart-beat liveness, these included.
    /// </summary>
    HeartBeat,

    /// <summary>The peer broke the protocol (error code <see cref="ErrorCode.E_UNEXPECTED_DATA"/>); close the connection and do not use the reader again.</summary>
    Error,
}
