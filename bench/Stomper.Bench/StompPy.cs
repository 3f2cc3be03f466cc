using System.Diagnostics;
using System.Globalization;

namespace Stomper.Bench;

/// <summary>
/// Runs bench/stomppy/bench.py (stomp.py 8, Debian's python3-stomp, under the system
/// Python that package installs into) for one workload and reads its BENCH line back.
/// </summary>
internal static class StompPy
{
    private const string SystemPython = "/usr/bin/python3";

    public static string? Script { get; } = FindScript();

    public static bool Available => Script is not null && File.Exists(SystemPython);

    public static Result? Run(string workload, string host, int port, int count, string? destination = null, string? login = null, string? passcode = null)
    {
        if (!Available)
        {
            Console.Error.WriteLine("stomp.py bench skipped: /usr/bin/python3 or bench/stomppy/bench.py not found");
            return null;
        }

        var info = new ProcessStartInfo(SystemPython) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Script!, workload, "--host", host, "--port", port.ToString(CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        if (destination is not null)
        {
            info.ArgumentList.Add("--destination");
            info.ArgumentList.Add(destination);
        }

        if (login is not null)
        {
            info.ArgumentList.Add("--login");
            info.ArgumentList.Add(login);
            info.ArgumentList.Add("--passcode");
            info.ArgumentList.Add(passcode ?? string.Empty);
        }

        using var process = Process.Start(info)!;
        Result? result = null;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            result ??= Result.Parse(line);
        }

        process.WaitForExit();
        if (result is null)
        {
            Console.Error.WriteLine($"stomp.py {workload}: no result (exit code {process.ExitCode})");
        }

        return result;
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "bench", "stomppy", "bench.py");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
