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

    /// <summary>Stops the clocks: the figures of one client on one workload.</summary>
    public Result Stop(string workload, string client, long messages)
    {
        var seconds = _wall.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds;
        var alloc = GC.GetTotalAllocatedBytes(precise: true) - _allocStart;
        return new Result(workload, client, messages / seconds, cpu / messages * 1e6, (double)alloc / messages);
    }

    /// <summary>Prints one line for people and one BENCH line for scripts (the loop benchmarks' own units).</summary>
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

/// <summary>
/// One client's figures on one workload. <see cref="AllocBytesPerMsg"/> is NaN where
/// managed allocation means nothing (Python). <see cref="Extra"/> holds more fields
/// (round-trip percentiles) in the BENCH line's <c>name=value</c> form.
/// </summary>
internal sealed record Result(string Workload, string Client, double MsgsPerSecond, double CpuSecondsPerMillion, double AllocBytesPerMsg)
{
    public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();

    public string BenchLine()
    {
        var inv = CultureInfo.InvariantCulture;
        var line = string.Format(inv, "BENCH {0} {1} msgs_per_s={2:F0} cpu_s_per_M={3:F3} alloc_B_per_msg={4}",
            Workload, Client, MsgsPerSecond, CpuSecondsPerMillion,
            double.IsNaN(AllocBytesPerMsg) ? "NA" : AllocBytesPerMsg.ToString("F1", inv));
        foreach (var (name, value) in Extra)
        {
            line += string.Format(inv, " {0}={1:F1}", name, value);
        }

        return line;
    }

    /// <summary>Reads a BENCH line back, as the stomp.py script prints it.</summary>
    public static Result? Parse(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5 || parts[0] != "BENCH")
        {
            return null;
        }

        var fields = parts.Skip(3).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        double Num(string name) => fields.TryGetValue(name, out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
        var known = new[] { "msgs_per_s", "cpu_s_per_M", "alloc_B_per_msg" };
        return new Result(parts[1], parts[2], Num("msgs_per_s"), Num("cpu_s_per_M"), Num("alloc_B_per_msg"))
        {
            Extra = fields.Keys.Where(k => !known.Contains(k)).ToDictionary(k => k, Num),
        };
    }
}
