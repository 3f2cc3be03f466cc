using System.Diagnostics;

namespace Stomper.Tests.Packaging;

/// <summary>
/// Runs the dotnet command line as a user on a fresh machine would: in a folder of its own,
/// with a package cache of its own, and without the MSBuild settings of the test host leaking in.
/// </summary>
internal static class DotnetCli
{
    /// <summary>Runs <c>dotnet <paramref name="args"/></c>; returns the exit code and stdout+stderr, killing it after <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, string packageCache, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // dotnet test runs us with MSBuild's own variables set (SDK paths, node reuse, the
        // project under test): a child build must find its SDK and settings as a user's would.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            info.Environment.Remove(name);
        }
        // No build server outlives the run holding our pipes open, or lingers after the test.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["NUGET_PACKAGES"] = packageCache;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"dotnet {string.Join(' ', args)} did not finish within {timeout}:\n{output.Result}{errors.Result}");
        }
        return (process.ExitCode, output.Result + errors.Result);
    }

    /// <summary>The dotnet that runs the tests (dotnet test names it), else the one on PATH.</summary>
    private static string Executable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
