using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EventLoop;

/// <summary>
/// The Linux backend: an epoll set, level-triggered, that holds each watched socket once.
/// The kernel hears of a socket when its first watcher comes, and again only when its
/// interest changes (first reader or writer added, last removed) or its last watcher goes;
/// a wait then costs in proportion to the sockets that are ready, not to those watched.
/// </summary>
/// <remarks>
/// <para>Each event carries a token (slot and generation), never a descriptor number: a
/// closed socket's number is reused by the kernel at once, and an event or a change meant
/// for the old socket must never reach the new one. The kernel drops a closed descriptor
/// from the set by itself, so a registration whose handle is closed is never touched again
/// (<c>EPOLL_CTL_DEL</c> or <c>MOD</c> by number could hit the socket that took it over).</para>
/// <para>If the kernel keeps reporting a closed socket (its open file outlived the
/// descriptor: a <c>dup</c> elsewhere), the set is rebuilt from the live registrations,
/// which is the only way to drop it without its number.</para>
/// </remarks>
internal sealed class EpollPoller : IoPoller
{
    private const ulong WakeupToken = 0;

    private readonly EventFdWakeup _wakeup;
    private SafeFileHandle _epoll;
    private byte[] _events;
    private IoRegistration?[] _slots = new IoRegistration?[64];
    private readonly Stack<int> _freeSlots = new();
    private int _slotsUsed;
    private uint _generation;
    private bool _rebuild;

    private EpollPoller(SafeFileHandle epoll, EventFdWakeup wakeup)
    {
        _epoll = epoll;
        _wakeup = wakeup;
        _events = new byte[64 * LinuxNative.EventSize];
        WatchWakeup();
    }

    public override string Name => "epoll";

    public override Wakeup Wakeup => _wakeup;

    /// <summary>Events the kernel reported for a socket already closed, or for no registration; tests read it.</summary>
    public long StaleEvents { get; private set; }

    /// <summary>Times the set was rebuilt to drop what the kernel kept of a closed socket.</summary>
    public long Rebuilds { get; private set; }

    /// <summary>An epoll set with its eventfd wake-up, or null where the system refuses one.</summary>
    public static EpollPoller? TryCreate()
    {
        SafeFileHandle epoll;
        try
        {
            var fd = LinuxNative.EpollCreate1(LinuxNative.CloseOnExec);
            if (fd < 0)
            {
                return null;
            }

            epoll = new SafeFileHandle(fd, ownsHandle: true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }

        EventFdWakeup? wakeup = null;
        try
        {
            wakeup = EventFdWakeup.Create();
            return new EpollPoller(epoll, wakeup);
        }
        catch
        {
            wakeup?.Dispose();
            epoll.Dispose();
            throw;
        }
    }

    public override void Add(IoRegistration registration)
    {
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotsUsed++;
        if (slot == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        // Slot 0 would give token 0, the wake-up's: slots count from 1 in the token.
        registration.Token = ((ulong)++_generation << 32) | (uint)(slot + 1);
        registration.Registered = IoReadiness.None;
        try
        {
            Apply(registration);
        }
        catch
        {
            _freeSlots.Push(slot);
            throw;
        }

        _slots[slot] = registration;
    }

    public override void Update(IoRegistration registration) => Apply(registration);

    public override void Remove(IoRegistration registration)
    {
        var slot = (int)(uint)registration.Token - 1;
        if (slot < 0 || _slots[slot] != registration)
        {
            return;
        }

        _slots[slot] = null;
        _freeSlots.Push(slot);
        if (registration.Registered != IoReadiness.None && !registration.Handle.IsClosed)
        {
            TryControl(LinuxNative.EpollCtlDel, registration, 0);
        }

        registration.Registered = IoReadiness.None;
    }

    public override void Dispose()
    {
        _epoll.Dispose();
        _wakeup.Dispose();
    }

    protected override void WaitForReady(int timeoutMicroseconds)
    {
        if (_rebuild)
        {
            Rebuild();
        }

        var capacity = _events.Length / LinuxNative.EventSize;
        var timeout = timeoutMicroseconds < 0 ? -1 : timeoutMicroseconds / 1000;
        var n = LinuxNative.EpollWait(_epoll, ref MemoryMarshal.GetArrayDataReference(_events), capacity, timeout);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxNative.EINTR)
            {
                // A signal to this thread: an empty wait, as poll(2) underneath Select reported it.
                return;
            }

            throw LoopErrors.SystemCall("epoll_wait", errno);
        }

        var woken = false;
        for (var i = 0; i < n; i++)
        {
            var entry = _events.AsSpan(i * LinuxNative.EventSize, LinuxNative.EventSize);
            var flags = MemoryMarshal.Read<uint>(entry);
            var token = MemoryMarshal.Read<ulong>(entry[LinuxNative.EventDataOffset..]);
            if (token == WakeupToken)
            {
                woken = true;
                continue;
            }

            var registration = Find(token);
            if (registration is null || registration.Handle.IsClosed)
            {
                // The kernel still holds a socket that is closed on our side: only a new set drops it.
                StaleEvents++;
                _rebuild = true;
                continue;
            }

            AddReady(registration, Readiness(flags));
        }

        if (woken || !_wakeup.IsIdle)
        {
            _wakeup.Reset();
        }

        if (n == capacity && _slotsUsed + 1 > capacity)
        {
            // A full batch: more may be ready than fit. Grow for the next wait (level-triggered,
            // nothing is lost meanwhile), up to one entry per watched socket and the wake-up.
            _events = new byte[Math.Min(capacity * 2, _slotsUsed + 1) * LinuxNative.EventSize];
        }
    }

    internal static IoReadiness Readiness(uint flags)
    {
        var readiness = IoReadiness.None;
        if ((flags & (LinuxNative.EpollErr | LinuxNative.EpollHup)) != 0)
        {
            readiness |= IoReadiness.Error;
        }

        if ((flags & LinuxNative.EpollIn) != 0)
        {
            readiness |= IoReadiness.Read;
        }

        if ((flags & LinuxNative.EpollOut) != 0)
        {
            readiness |= IoReadiness.Write;
        }

        return readiness;
    }

    private static uint EventsFor(IoReadiness interest) =>
        ((interest & IoReadiness.Read) != 0 ? LinuxNative.EpollIn : 0) | ((interest & IoReadiness.Write) != 0 ? LinuxNative.EpollOut : 0);

    private IoRegistration? Find(ulong token)
    {
        var slot = (long)(uint)token - 1;
        return slot >= 0 && slot < _slots.Length && _slots[slot] is { } registration && registration.Token == token ? registration : null;
    }

    /// <summary>Tells the kernel the registration's interest, when it differs from what it holds.</summary>
    private void Apply(IoRegistration registration)
    {
        var interest = registration.Interest;
        if (interest == registration.Registered || interest == IoReadiness.None || registration.Handle.IsClosed)
        {
            return;
        }

        var op = registration.Registered == IoReadiness.None ? LinuxNative.EpollCtlAdd : LinuxNative.EpollCtlMod;
        var errno = TryControl(op, registration, EventsFor(interest));
        if (errno == LinuxNative.ENOENT && op == LinuxNative.EpollCtlMod)
        {
            // The kernel no longer holds it, though the handle is ours and open: add it again.
            errno = TryControl(LinuxNative.EpollCtlAdd, registration, EventsFor(interest));
        }

        if (errno == LinuxNative.EBADF)
        {
            // Closed on another thread meanwhile: nothing left to watch.
            return;
        }

        if (errno != 0)
        {
            throw LoopErrors.WatchFailed(errno);
        }

        registration.Registered = interest;
    }

    /// <summary>epoll_ctl on the registration's socket; 0 or the errno, EBADF when its handle was closed meanwhile.</summary>
    private int TryControl(int op, IoRegistration registration, uint events)
    {
        try
        {
            return Control(op, registration.Handle, events, registration.Token) ? 0 : Marshal.GetLastPInvokeError();
        }
        catch (ObjectDisposedException)
        {
            return LinuxNative.EBADF;
        }
    }

    private bool Control(int op, SafeHandle fd, uint events, ulong token)
    {
        ControlCalls++;
        Span<byte> entry = stackalloc byte[16];
        entry.Clear();
        MemoryMarshal.Write(entry, events);
        MemoryMarshal.Write(entry[LinuxNative.EventDataOffset..], token);
        return LinuxNative.EpollCtl(_epoll, op, fd, ref MemoryMarshal.GetReference(entry)) == 0;
    }

    /// <summary>A new set holding the wake-up and every live registration; the old one goes, with whatever it kept of closed sockets.</summary>
    /// <summary>Puts the wake-up into the (new) epoll set; a refusal there leaves the loop deaf to other threads, so it throws.</summary>
    private void WatchWakeup()
    {
        if (!Control(LinuxNative.EpollCtlAdd, _wakeup.Handle, LinuxNative.EpollIn, WakeupToken))
        {
            throw LoopErrors.SystemCall("epoll_ctl", Marshal.GetLastPInvokeError());
        }
    }

    private void Rebuild()
    {
        _rebuild = false;
        Rebuilds++;
        var fd = LinuxNative.EpollCreate1(LinuxNative.CloseOnExec);
        if (fd < 0)
        {
            throw LoopErrors.SystemCall("epoll_create1", Marshal.GetLastPInvokeError());
        }

        var old = _epoll;
        _epoll = new SafeFileHandle(fd, ownsHandle: true);
        old.Dispose();
        WatchWakeup();

        // Every socket is tried even when one is refused, so that one refusal (the per-user
        // watch limit, say) does not leave the sockets after it in the table unwatched.
        Exception? refused = null;
        foreach (var registration in _slots)
        {
            if (registration is not null)
            {
                registration.Registered = IoReadiness.None;
                try
                {
                    Apply(registration);
                }
                catch (IOException e)
                {
                    refused ??= e;
                }
            }
        }

        if (refused is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
        }
    }
}
