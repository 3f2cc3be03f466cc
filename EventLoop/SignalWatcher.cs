using System.Runtime.InteropServices;

namespace EventLoop;

/// <summary>
/// Calls back on the loop thread when the process receives a POSIX signal
/// (AnyEvent's <c>AE::signal INT => $cb</c>). While the watcher lives, the signal's
/// default action (ending the process, for INT, TERM, QUIT and HUP) is suppressed;
/// disposing it (or the loop) restores the default. Built on
/// <see cref="PosixSignalRegistration"/>.
/// </summary>
/// <remarks>
/// As in AnyEvent, the watcher fires even when the process was started with the signal
/// ignored (a background job, <c>nohup</c>); once it is disposed the signal is ignored
/// again, where AnyEvent would restore the default action (see
/// <see cref="InheritedSignalIgnore"/>).
/// </remarks>
public sealed class SignalWatcher : Watcher
{
    private readonly PosixSignalRegistration _registration;
    private readonly Action _callback;

    internal SignalWatcher(Loop loop, string name, PosixSignal signal, Action callback)
        : base(loop)
    {
        Name = name;
        _callback = callback;
        _registration = PosixSignalRegistration.Create(signal, OnSignal);
        InheritedSignalIgnore.Override(signal);
    }

    /// <summary>The signal's name without the SIG prefix, as given (for example <c>INT</c>).</summary>
    public string Name { get; }

    private void OnSignal(PosixSignalContext context)
    {
        // This runs on the runtime's signal thread, where an exception ends the process:
        // hand the callback to the loop (which checks IsActive before calling it) and
        // cancel the default action only if the loop took it. A loop disposed meanwhile
        // leaves the signal its default action, as if the watcher were gone already.
        context.Cancel = Loop.TryPost(() =>
        {
            if (IsActive)
            {
                _callback();
            }
        });
    }

    private protected override void OnDisposed()
    {
        _registration.Dispose();
        Loop.RemoveSignal(this);
    }

    /// <summary>Maps a Perl-style signal name (<c>INT</c>, <c>SIGTERM</c>, <c>HUP</c>, ...) to the runtime's signal.</summary>
    internal static PosixSignal Parse(string name) => SignalNames.Parse(name);
}
