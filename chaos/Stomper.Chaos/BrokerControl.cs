using System.Diagnostics;
using System.Text;

namespace Stomper.Chaos;

/// <summary>
/// The fault controls of scripts/brokers.sh (docs/brokers.md), run as a child process that
/// inherits this process's environment, so the script's port and prefix overrides reach it.
/// Every call blocks: the scenarios run them on a worker thread while the loop keeps turning.
/// </summary>
internal sealed class BrokerControl(string repositoryRoot)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    /// <summary>Starts what is down, resumes what is paused, waits for a healed cluster.</summary>
    public void EnsureHealthy() => Run("start");

    public void Kill(string node) => Run("kill", node);

    public void Pause(string node) => Run("pause", node);

    public void Resume(string node) => Run("resume", node);

    /// <summary>Starts the node again (gracefully stopped first when it runs); returns once it is back in the cluster.</summary>
    public void Restart(string node) => Run("restart", node);

    /// <summary>Starts all three RabbitMQ nodes with their data, after all of them died.</summary>
    public void RestartRabbits() => Run("restart-rabbits");

    public void CloseConnections(string node) => Run("close-connections", node);

    private void Run(params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(repositoryRoot, "scripts", "brokers.sh"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var command = $"scripts/brokers.sh {string.Join(' ', args)}";
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{command} did not finish within {s_timeout}:\n{Text(output)}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed (exit code {process.ExitCode}):\n{Text(output)}");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
