using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// AnyEvent's <c>AE::</c> functions over <see cref="CurrentLoop"/>, so that Perl code
/// ports line by line: <c>my $w = AE::timer 1, 0, sub { ... };</c> becomes
/// <c>var w = AE.Timer(1, 0, () =&gt; { ... });</c>.
/// </summary>
/// <remarks>
/// AnyEvent has one loop per process. Here that is <see cref="Loop.Default"/>, unless a
/// test has opened a scope with <see cref="UseLoop"/>: then every <c>AE.*</c> call, and
/// every client or cluster built without an explicit loop, uses the scope's loop (on a
/// <see cref="FakeClock"/>, say), so ported code keeps its <c>AE.*</c> lines and is still
/// stepped by hand.
/// </remarks>
public static class AE
{
    // Per async flow rather than global, so that tests running in parallel each see their
    // own loop; a thread or task started inside a scope inherits it, as ExecutionContext does.
    private static readonly AsyncLocal<LoopScope?> s_scope = new();

    /// <summary>
    /// The loop the <c>AE.*</c> functions use: the loop of the innermost scope opened by
    /// <see cref="UseLoop"/> in this async flow and not yet disposed, else
    /// <see cref="Loop.Default"/>.
    /// </summary>
    public static Loop CurrentLoop => LoopScope.Innermost(s_scope.Value)?.Loop ?? Loop.Default;

    /// <summary>
    /// Makes <paramref name="loop"/> the loop of <c>AE.*</c> (and of clients and clusters
    /// built without one) until the returned scope is disposed:
    /// <c>using var scope = AE.UseLoop(new Loop(new FakeClock()));</c>.
    /// </summary>
    /// <remarks>
    /// <para>The scope belongs to the current async flow (an <see cref="AsyncLocal{T}"/>):
    /// code after an <c>await</c>, and threads or tasks started inside the scope, see it;
    /// other tests running in parallel do not. Open it in the test method, or in a
    /// synchronous set-up method of a framework that runs set-up and test in one flow.</para>
    /// <para>Scopes nest: the innermost open one wins. Disposing one out of order is
    /// allowed and never throws: an outer scope disposed first stays in force until every
    /// scope inside it is disposed too, so <see cref="CurrentLoop"/> is always the loop of
    /// the innermost scope still open. Disposing twice does nothing.</para>
    /// </remarks>
    public static IDisposable UseLoop(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var scope = new LoopScope(loop, s_scope.Value);
        s_scope.Value = scope;
        return scope;
    }

    /// <summary><c>AE::timer $after, $interval, $cb</c>.</summary>
    public static TimerWatcher Timer(double after, double interval, Action callback) => CurrentLoop.Timer(after, interval, callback);

    /// <summary><c>AE::io $fh, $watch_write, $cb</c> (0 = read, 1 = write).</summary>
    public static IoWatcher Io(Socket socket, int watchWrite, Action callback) =>
        CurrentLoop.Io(socket, watchWrite == 0 ? IoDirection.Read : IoDirection.Write, callback);

    /// <summary><c>AE::io</c> with a named direction.</summary>
    public static IoWatcher Io(Socket socket, IoDirection direction, Action callback) => CurrentLoop.Io(socket, direction, callback);

    /// <summary><c>AE::signal $name, $cb</c>.</summary>
    public static SignalWatcher Signal(string name, Action callback) => CurrentLoop.Signal(name, callback);

    /// <summary><c>AE::idle $cb</c>.</summary>
    public static IdleWatcher Idle(Action callback) => CurrentLoop.Idle(callback);

    /// <summary><c>AE::postpone { ... }</c>.</summary>
    public static void Postpone(Action callback) => CurrentLoop.Postpone(callback);

    /// <summary><c>AE::now</c>: the time cached at the start of the current pass.</summary>
    public static double Now() => CurrentLoop.Now();

    /// <summary><c>AE::time</c>: the current wall time.</summary>
    public static double Time() => CurrentLoop.Time();

    /// <summary><c>AE::now_update</c>.</summary>
    public static void NowUpdate() => CurrentLoop.NowUpdate();

    /// <summary><c>AE::cv</c> or <c>AE::cv { ... }</c>.</summary>
    public static CondVar Cv(Action<CondVar>? callback = null) => CurrentLoop.Cv(callback);

    /// <summary>Hands a callback to <see cref="CurrentLoop"/> from any thread.</summary>
    public static void Post(Action callback) => CurrentLoop.Post(callback);

    private sealed class LoopScope(Loop loop, LoopScope? outer) : IDisposable
    {
        private bool _disposed;

        public Loop Loop { get; } = loop;

        private LoopScope? Outer { get; } = outer;

        public static LoopScope? Innermost(LoopScope? scope)
        {
            while (scope is { _disposed: true })
            {
                scope = scope.Outer;
            }

            return scope;
        }

        public void Dispose()
        {
            _disposed = true;

            // Only the flow that holds this scope as its innermost moves back out; a scope
            // disposed while an inner one is open is skipped later by Innermost.
            if (ReferenceEquals(s_scope.Value, this))
            {
                s_scope.Value = Innermost(Outer);
            }
        }
    }
}
