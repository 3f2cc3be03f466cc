namespace Stomper;

/// <summary>
/// Limits a <see cref="FrameReader"/> enforces against a hostile or broken peer. A frame that
/// would exceed one is refused as soon as that is certain, before it is complete, so the
/// caller never buffers more than <see cref="MaxFrameSize"/> bytes of one frame.
/// </summary>
/// <remarks>The Perl original had no limits; these are new, with defaults far above what brokers send.</remarks>
public sealed record FrameLimits
{
    private readonly int _maxFrameSize = 16 * 1024 * 1024;
    private readonly int _maxHeaderCount = 1000;
    private readonly int _maxHeaderLineLength = 64 * 1024;
    private readonly int _maxCommandLineLength = 256;

    /// <summary>The defaults: 16 MiB frames, 1000 headers, 64 KiB header lines, 256-byte command lines.</summary>
    public static FrameLimits Default { get; } = new();

    /// <summary>The largest frame, from the command's first byte to the closing NUL inclusive (default 16 MiB).</summary>
    public int MaxFrameSize { get => _maxFrameSize; init => _maxFrameSize = Positive(value); }

    /// <summary>The most header lines in a frame, repeated names included (default 1000).</summary>
    public int MaxHeaderCount { get => _maxHeaderCount; init => _maxHeaderCount = Positive(value); }

    /// <summary>The longest header line in bytes, escapes included and the EOL excluded (default 64 KiB).</summary>
    public int MaxHeaderLineLength { get => _maxHeaderLineLength; init => _maxHeaderLineLength = Positive(value); }

    /// <summary>The longest command line in bytes, the EOL excluded (default 256).</summary>
    public int MaxCommandLineLength { get => _maxCommandLineLength; init => _maxCommandLineLength = Positive(value); }

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        return value;
    }
}
