using System.Runtime.InteropServices;

namespace EventLoop;

/// <summary>
/// Perl's <c>%SIG</c> names and the numbers they stand for on this system, for
/// <see cref="Loop.Signal"/>. The runtime names only ten signals in
/// <see cref="PosixSignal"/> (with negative values of its own) but takes any raw number on
/// Unix; the numbers of the others differ between Linux and the BSDs (macOS), so they are
/// looked up here rather than cast.
/// </summary>
internal static class SignalNames
{
    // (Linux, BSD/macOS); 0 where the system has no such signal. Linux's numbers are those
    // of every architecture .NET runs on (x64, arm, arm64, s390x, ppc64le, riscv, loongarch).
    private static readonly Dictionary<string, (int Linux, int Bsd)> s_watchable = new(StringComparer.Ordinal)
    {
        ["HUP"] = (1, 1),
        ["INT"] = (2, 2),
        ["QUIT"] = (3, 3),
        ["USR1"] = (10, 30),
        ["USR2"] = (12, 31),
        ["PIPE"] = (13, 13),
        ["ALRM"] = (14, 14),
        ["TERM"] = (15, 15),
        ["CHLD"] = (17, 20),
        ["CLD"] = (17, 0),
        ["CONT"] = (18, 19),
        ["TSTP"] = (20, 18),
        ["TTIN"] = (21, 21),
        ["TTOU"] = (22, 22),
        ["URG"] = (23, 16),
        ["XCPU"] = (24, 24),
        ["XFSZ"] = (25, 25),
        ["VTALRM"] = (26, 26),
        ["PROF"] = (27, 27),
        ["WINCH"] = (28, 28),
        ["IO"] = (29, 23),
        ["POLL"] = (29, 0),
        ["PWR"] = (30, 0),
        ["INFO"] = (0, 29),
    };

    /// <summary>What Windows delivers, as console events.</summary>
    private static readonly HashSet<string> s_onWindows = new(StringComparer.Ordinal) { "HUP", "INT", "QUIT", "TERM" };

    /// <summary>Signals no process can catch.</summary>
    private static readonly HashSet<string> s_uncatchable = new(StringComparer.Ordinal) { "KILL", "STOP" };

    /// <summary>Faults the runtime turns into exceptions or crash reports: a handler of ours would stand in its way.</summary>
    private static readonly HashSet<string> s_runtimeOwned = new(StringComparer.Ordinal) { "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "SEGV", "SYS" };

    /// <summary>
    /// Maps a Perl-style signal name (<c>INT</c>, <c>SIGTERM</c>, <c>USR1</c>, ...) to what
    /// <see cref="PosixSignalRegistration"/> takes on this system; throws an
    /// <see cref="ArgumentException"/> saying why for a name it cannot watch.
    /// </summary>
    public static PosixSignal Parse(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var bare = (name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? name[3..] : name).ToUpperInvariant();
        if (Named(bare) is { } known && (OperatingSystem.IsWindows() ? s_onWindows.Contains(bare) : Number(bare) is not null))
        {
            // The runtime's own value, so that Windows (console events) and every Unix agree.
            return known;
        }

        if (s_uncatchable.Contains(bare))
        {
            throw LoopErrors.UncatchableSignal(name);
        }

        if (s_runtimeOwned.Contains(bare))
        {
            throw LoopErrors.RuntimeOwnedSignal(name);
        }

        if (OperatingSystem.IsWindows() || Number(bare) is not { } number)
        {
            throw LoopErrors.UnknownSignal(name);
        }

        return (PosixSignal)number;
    }

    /// <summary>The system's number for <paramref name="signal"/>: the runtime's named (negative) values are looked up, raw ones are numbers already.</summary>
    public static int? Number(PosixSignal signal) => signal switch
    {
        > 0 => (int)signal,
        PosixSignal.SIGHUP => Number("HUP"),
        PosixSignal.SIGINT => Number("INT"),
        PosixSignal.SIGQUIT => Number("QUIT"),
        PosixSignal.SIGTERM => Number("TERM"),
#pragma warning disable CA1416 // Compared, not registered.
        PosixSignal.SIGCHLD => Number("CHLD"),
        PosixSignal.SIGCONT => Number("CONT"),
        PosixSignal.SIGWINCH => Number("WINCH"),
        PosixSignal.SIGTTIN => Number("TTIN"),
        PosixSignal.SIGTTOU => Number("TTOU"),
        PosixSignal.SIGTSTP => Number("TSTP"),
#pragma warning restore CA1416
        _ => null,
    };

    /// <summary>The number of a watchable signal on this system, or null when it has none (Windows included).</summary>
    private static int? Number(string bare)
    {
        if (!s_watchable.TryGetValue(bare, out var numbers))
        {
            return null;
        }

        var number = OperatingSystem.IsLinux() || OperatingSystem.IsAndroid() ? numbers.Linux
            : OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsMacCatalyst() || OperatingSystem.IsFreeBSD() ? numbers.Bsd
            : 0;
        return number > 0 ? number : null;
    }

    /// <summary>The runtime's own enum value for the ten signals it names.</summary>
    private static PosixSignal? Named(string bare) => bare switch
    {
        "HUP" => PosixSignal.SIGHUP,
        "INT" => PosixSignal.SIGINT,
        "QUIT" => PosixSignal.SIGQUIT,
        "TERM" => PosixSignal.SIGTERM,
#pragma warning disable CA1416 // Named, not registered: on Windows Parse keeps only the four above.
        "CHLD" or "CLD" => PosixSignal.SIGCHLD,
        "CONT" => PosixSignal.SIGCONT,
        "WINCH" => PosixSignal.SIGWINCH,
        "TTIN" => PosixSignal.SIGTTIN,
        "TTOU" => PosixSignal.SIGTTOU,
        "TSTP" => PosixSignal.SIGTSTP,
#pragma warning restore CA1416
        _ => null,
    };
}
