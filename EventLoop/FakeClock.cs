namespace EventLoop;

/// <summary>
/// A clock that moves only when told to. Give it to a <see cref="Loop"/> and step the
/// loop with <see cref="Loop.RunOnce(bool)"/> (non-blocking) to test timer logic without
/// sleeping: <c>clock.Advance(1.5); loop.RunOnce(block: false);</c>.
/// </summary>
public sealed class FakeClock : IClock
{
    private double _monotonic;
    private double _wall;

    /// <summary>Starts at the given wall time (default: 1,000,000,000 s after the epoch).</summary>
    public FakeClock(double wallStart = 1_000_000_000)
    {
        _wall = wallStart;
    }

    /// <inheritdoc/>
    public double MonotonicSeconds => Volatile.Read(ref _monotonic);

    /// <inheritdoc/>
    public double WallSeconds => Volatile.Read(ref _wall);

    /// <summary>Moves both readings forward by <paramref name="seconds"/>.</summary>
    public void Advance(double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        Volatile.Write(ref _monotonic, _monotonic + seconds);
        Volatile.Write(ref _wall, _wall + seconds);
    }
}
