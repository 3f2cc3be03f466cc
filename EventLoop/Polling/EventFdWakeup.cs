using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EventLoop;

/// <summary>
/// The epoll backend's wake-up: an eventfd(2) in the epoll set. A write adds to its
/// counter and makes it readable; one read takes the counter back to zero.
/// </summary>
internal sealed class EventFdWakeup : Wakeup
{
    private EventFdWakeup(SafeFileHandle handle)
    {
        Handle = handle;
    }

    public SafeFileHandle Handle { get; }

    /// <summary>A new eventfd, non-blocking and closed on exec.</summary>
    public static EventFdWakeup Create()
    {
        var fd = LinuxNative.EventFd(0, LinuxNative.NonBlocking | LinuxNative.CloseOnExec);
        if (fd < 0)
        {
            throw LoopErrors.SystemCall("eventfd", Marshal.GetLastPInvokeError());
        }

        return new EventFdWakeup(new SafeFileHandle(fd, ownsHandle: true));
    }

    public override void Dispose() => Handle.Dispose();

    protected override void Send()
    {
        // EAGAIN only when the counter nears 2^64, which one pending signal never reaches.
        var one = 1UL;
        ThrowUnlessDoneOrWouldBlock(LinuxNative.Write(Handle, ref one, sizeof(ulong)), "write to the loop's eventfd");
    }

    protected override void Drain()
    {
        // EAGAIN when nothing was signalled: a drain after a wait that something else ended.
        var count = 0UL;
        ThrowUnlessDoneOrWouldBlock(LinuxNative.Read(Handle, ref count, sizeof(ulong)), "read from the loop's eventfd");
    }

    private static void ThrowUnlessDoneOrWouldBlock(nint result, string call)
    {
        if (result < 0 && Marshal.GetLastPInvokeError() is var errno && errno != LinuxNative.EAGAIN)
        {
            throw LoopErrors.SystemCall(call, errno);
        }
    }
}
