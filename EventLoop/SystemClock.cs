using System.Diagnostics;

namespace EventLoop;

/// <summary>The real clock: <see cref="Stopwatch"/> for monotonic time, UTC for wall time.</summary>
public sealed class SystemClock : IClock
{
    /// <summary>The one instance; the clock has no state.</summary>
    public static SystemClock Instance { get; } = new();

    private SystemClock()
    {
    }

    /// <inheritdoc/>
    public double MonotonicSeconds => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <inheritdoc/>
    public double WallSeconds => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;
}
