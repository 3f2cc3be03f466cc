namespace EventLoop;

/// <summary>
/// A registration with a <see cref="Loop"/>. It stays active until disposed, as an
/// AnyEvent watcher lives until the last reference goes (<c>undef $w</c> is
/// <c>w.Dispose()</c> here). Disposing is safe at any time on the loop thread,
/// including from the watcher's own callback or another one: a disposed watcher's
/// callback is never called again, even if its event is already due in this pass.
/// </summary>
public abstract class Watcher : IDisposable
{
    private protected Watcher(Loop loop)
    {
        Loop = loop;
    }

    /// <summary>The loop the watcher belongs to.</summary>
    public Loop Loop { get; }

    /// <summary>False once disposed.</summary>
    public bool IsActive { get; private set; } = true;

    /// <summary>Stops the watcher. Idempotent. On the loop's thread only (see <see cref="Loop.VerifyAccess"/>).</summary>
    public void Dispose()
    {
        Loop.VerifyAccess();
        if (!IsActive)
        {
            return;
        }

        IsActive = false;
        OnDisposed();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes the watcher from the loop's structures.</summary>
    private protected abstract void OnDisposed();
}
