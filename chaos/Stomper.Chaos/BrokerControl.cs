using System.Diagnostics;
using System.Text;

namespace Stomper.Chaos;

/// <summary>
/// The fault controls of scripts/brokers.sh (docs/brokers.md), run as a child process that
/// inherits this process's environment, so the script's port and prefix overrides reach it.
/// Every call blocks: the scenarios run them on a worker thread while the loop keeps turning.
/// </summary>
/// <remarks>The integration tests' <c>Brokers</c> runs the script through this class too.</remarks>
internal sealed class BrokerControl(string repositoryRoot)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    /// <summary>Starts what is down, resumes what is paused, waits for a healed cluster.</summary>
    public void EnsureHealthy() => Do("start");

    public void Kill(string node) => Do("kill", node);

    public void Pause(string node) => Do("pause", node);

    public void Resume(string node) => Do("resume", node);

    /// <summary>Starts the node again (gracefully stopped first when it runs); returns once it is back in the cluster.</summary>
    public void Restart(string node) => Do("restart", node);

    /// <summary>Starts all three RabbitMQ nodes with their data, after all of them died.</summary>
    public void RestartRabbits() => Do("restart-rabbits");

    public void CloseConnections(string node) => Do("close-connections", node);

    /// <summary>Waits until quorum queue <paramref name="queue"/> is fully redundant: a leader, and three members each registered on disk and caught up (docs/brokers.md).</summary>
    public void SettleQueue(string queue) => Do("settle-queue", queue);

    private void Do(params string[] args) => Run(s_timeout, args);

    /// <summary>Runs the script with <paramref name="args"/> and returns what it printed; throws when it fails or outlasts <paramref name="timeout"/>.</summary>
    public string Run(TimeSpan timeout, params string[] args) => Run(timeout, new Dictionary<string, string>(), args);

    /// <summary>The same, with <paramref name="environment"/> added to the script's (its STOMPER_BROKERS_TIMEOUT, say).</summary>
    public string Run(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
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
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

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
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new BrokerCommandException($"{command} did not finish within {timeout}:\n{Text(output)}");
        }

        // Drains the output events.
        process.WaitForExit();
        var text = Text(output);
        return process.ExitCode == 0 ? text : throw new BrokerCommandException($"{command} failed (exit code {process.ExitCode}):\n{text}");
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
