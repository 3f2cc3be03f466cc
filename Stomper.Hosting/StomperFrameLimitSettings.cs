namespace Stomper.Hosting;

/// <summary><see cref="FrameLimits"/> as configuration; each unset limit keeps its default, each set one is 1 or more.</summary>
public sealed class StomperFrameLimitSettings
{
    /// <summary><see cref="FrameLimits.MaxFrameSize"/> in bytes (default 16 MiB).</summary>
    public int? MaxFrameSize { get; set; }

    /// <summary><see cref="FrameLimits.MaxHeaderCount"/> (default 1000).</summary>
    public int? MaxHeaderCount { get; set; }

    /// <summary><see cref="FrameLimits.MaxHeaderLineLength"/> in bytes (default 64 KiB).</summary>
    public int? MaxHeaderLineLength { get; set; }

    /// <summary><see cref="FrameLimits.MaxCommandLineLength"/> in bytes (default 256).</summary>
    public int? MaxCommandLineLength { get; set; }
}
