using System.Diagnostics;
using System.Globalization;

namespace Stomper.Bench;

/// <summary>Wall time, this process's CPU time and managed allocation around one workload.</summary>
internal sealed class Measurement
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocStart = GC.GetTotalAllocatedBytes(precise: true);

    public static Measurement Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return new Measurement();
    }

    /// <summary>Prints one line for people and one BENCH line for scripts.</summary>
    public void Report(string workload, string client, long operations, string unit, double? bytes = null)
    {
        var seconds = _wall.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds;
        var alloc = GC.GetTotalAllocatedBytes(precise: true) - _allocStart;
        var rate = operations / seconds;
        var inv = CultureInfo.InvariantCulture;
        var extra = bytes is { } b ? string.Format(inv, ", {0:F0} MB/s", b / seconds / 1e6) : string.Empty;
        Console.WriteLine(string.Format(inv, "{0,-22} {1,-10} {2,14:N0} {3}/s  (cpu {4:F3} s per million, {5:F1} B allocated per op{6})",
            workload, client, rate, unit, cpu / operations * 1e6, (double)alloc / operations, extra));
        Console.WriteLine(string.Format(inv, "BENCH {0} {1} {2}_per_s={3:F0} cpu_s_per_M={4:F3} alloc_B_per_{2}={5:F1}{6}",
            workload, client, unit, rate, cpu / operations * 1e6, (double)alloc / operations,
            bytes is { } bb ? string.Format(inv, " MB_per_s={0:F0}", bb / seconds / 1e6) : string.Empty));
    }
}
