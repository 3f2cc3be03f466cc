using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// AnyEvent's <c>AE::</c> functions over <see cref="Loop.Default"/>, so that Perl code
/// ports line by line: <c>my $w = AE::timer 1, 0, sub { ... };</c> becomes
/// <c>var w = AE.Timer(1, 0, () =&gt; { ... });</c>. Tests should prefer their own
/// <see cref="Loop"/> instances.
/// </summary>
public static class AE
{
    /// <summary><c>AE::timer $after, $interval, $cb</c>.</summary>
    public static TimerWatcher Timer(double after, double interval, Action callback) => Loop.Default.Timer(after, interval, callback);

    /// <summary><c>AE::io $fh, $watch_write, $cb</c> (0 = read, 1 = write).</summary>
    public static IoWatcher Io(Socket socket, int watchWrite, Action callback) =>
        Loop.Default.Io(socket, watchWrite == 0 ? IoDirection.Read : IoDirection.Write, callback);

    /// <summary><c>AE::io</c> with a named direction.</summary>
    public static IoWatcher Io(Socket socket, IoDirection direction, Action callback) => Loop.Default.Io(socket, direction, callback);

    /// <summary><c>AE::signal $name, $cb</c>.</summary>
    public static SignalWatcher Signal(string name, Action callback) => Loop.Default.Signal(name, callback);

    /// <summary><c>AE::idle $cb</c>.</summary>
    public static IdleWatcher Idle(Action callback) => Loop.Default.Idle(callback);

    /// <summary><c>AE::postpone { ... }</c>.</summary>
    public static void Postpone(Action callback) => Loop.Default.Postpone(callback);

    /// <summary><c>AE::now</c>: the time cached at the start of the current pass.</summary>
    public static double Now() => Loop.Default.Now();

    /// <summary><c>AE::time</c>: the current wall time.</summary>
    public static double Time() => Loop.Default.Time();

    /// <summary><c>AE::now_update</c>.</summary>
    public static void NowUpdate() => Loop.Default.NowUpdate();

    /// <summary><c>AE::cv</c> or <c>AE::cv { ... }</c>.</summary>
    public static CondVar Cv(Action<CondVar>? callback = null) => Loop.Default.Cv(callback);

    /// <summary>Hands a callback to the default loop from any thread.</summary>
    public static void Post(Action callback) => Loop.Default.Post(callback);
}
