using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EventLoop;

namespace Stomper.Tests;

/// <summary>
/// The test assembly's entry point, used only when a test starts it as a child process
/// (<c>dotnet Stomper.Tests.dll child &lt;scenario&gt;</c>) for what needs a process of
/// its own: signals inherited as ignored, or a signal that would end the test host.
/// A scenario prints what happened and exits 0 when it went as it should.
/// </summary>
internal static class ChildProcess
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>Starts the scenario named by the arguments.</summary>
    public static int Main(string[] args)
    {
        return args is ["child", var scenario] ? scenario switch
        {
            "signal-inherited-as-ignored" => SignalInheritedAsIgnored(),
            "signal-after-loop-disposed" => SignalAfterLoopDisposed(),
            "tstp-inherited-as-ignored" => TstpInheritedAsIgnored(),
            "alrm-pipe-usr1" => AlrmPipeUsr1(),
            "loop-backend" => LoopBackend(),
            "publish-traced" => Integration.TracedPublisher.Run(),
            _ => 2,
        }
        : 2;
    }

    /// <summary>Runs this assembly as a child with <paramref name="scenario"/>, under <c>sh -c</c> with <paramref name="shellPrefix"/> before it.</summary>
    public static (int ExitCode, string Output) Run(string scenario, string shellPrefix = "")
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", shellPrefix + " exec \"$0\" \"$@\"", host, typeof(ChildProcess).Assembly.Location, "child", scenario },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var errors = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            child.Kill();
            return (-1, "the child did not end within 30 s");
        }

        return (child.ExitCode, output.Result + errors.Result);
    }

    /// <summary>Prints the backend a new loop picks in this process's environment, or why it refused.</summary>
    private static int LoopBackend()
    {
        try
        {
            using var loop = new Loop();
            Console.WriteLine($"backend: {loop.Backend}");
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException)
        {
            Console.WriteLine($"refused: {e.Message}");
        }

        return 0;
    }

    private static int SignalInheritedAsIgnored()
    {
        Console.WriteLine($"ignored at start: {IsIgnored(2)}");
        using var loop = new Loop();
        var fired = loop.Cv();
        using var watcher = loop.Signal("INT", () => fired.Send("fired"));
        using var guard = loop.Timer(Patience.TotalSeconds, 0, () => fired.Croak("no SIGINT reached the watcher"));
        SendToSelf("INT");
        Console.WriteLine(fired.Recv<string>());
        watcher.Dispose();

        // With no watcher the inherited ignore holds again: a SIGINT now must not end the
        // process. Nothing reports that nothing happened, so give the runtime's signal
        // thread a moment to do whatever it would do.
        SendToSelf("INT");
        Thread.Sleep(200);
        Console.WriteLine("survived SIGINT after dispose");
        return 0;
    }

    /// <summary>A review finding: TSTP, inherited as ignored, and a watcher on it (see Review/LoopThreadEdgeTests).</summary>
    private static int TstpInheritedAsIgnored()
    {
        Console.WriteLine($"ignored at start: {IsIgnored(20)}");
        using var loop = new Loop();
        var fired = loop.Cv();
        using var watcher = loop.Signal("TSTP", () => fired.Send("fired"));
        using var guard = loop.Timer(Patience.TotalSeconds, 0, () => fired.Croak("no SIGTSTP reached the watcher"));
        SendToSelf("TSTP");
        try
        {
            Console.WriteLine(fired.Recv<string>());
            return 0;
        }
        catch (CondVarCroakedException e)
        {
            Console.WriteLine(e.Message);
            return 4;
        }
    }

    /// <summary>Signals the runtime has no name for; PIPE is one it ignores itself, from start-up.</summary>
    private static int AlrmPipeUsr1()
    {
        using var loop = new Loop();
        foreach (var name in new[] { "ALRM", "PIPE", "USR1" })
        {
            var fired = loop.Cv();
            using var watcher = loop.Signal(name, () => fired.Send(name + " fired"));
            using var guard = loop.Timer(Patience.TotalSeconds, 0, () => fired.Croak($"no SIG{name} reached the watcher"));
            SendToSelf(name);
            try
            {
                Console.WriteLine(fired.Recv<string>());
            }
            catch (CondVarCroakedException e)
            {
                Console.WriteLine(e.Message);
                return 4;
            }
        }

        return 0;
    }

    private static int SignalAfterLoopDisposed()
    {
        // This registration keeps the process alive once the watcher is gone. The runtime
        // calls the handlers of a signal one after the other, the latest registered
        // first, so the watcher's handler runs before this one, and a throw from it ends
        // the process before this one reports.
        using var seen = new ManualResetEventSlim();
        using var guard = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            seen.Set();
        });
        var loop = new Loop();
        loop.Signal("HUP", () => Console.WriteLine("callback of a disposed loop"));
        loop.Dispose();
        SendToSelf("HUP");
        if (!seen.Wait(Patience))
        {
            return 3;
        }

        Console.WriteLine("survived");
        return 0;
    }

    /// <summary>Whether the kernel ignores the signal for this process, from /proc (Linux).</summary>
    private static bool IsIgnored(int signal)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    private static void SendToSelf(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
