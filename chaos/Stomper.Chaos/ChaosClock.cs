using System.Diagnostics;

namespace Stomper.Chaos;

/// <summary>
/// Seconds since the program started, readable from any thread: the loop's callbacks, the
/// threads that run the broker script and the node probe all stamp events on one scale.
/// </summary>
internal static class ChaosClock
{
    private static readonly long s_start = Stopwatch.GetTimestamp();

    public static double Now => Stopwatch.GetElapsedTime(s_start).TotalSeconds;
}
