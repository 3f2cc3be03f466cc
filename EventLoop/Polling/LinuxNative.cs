using System.Runtime.InteropServices;

namespace EventLoop;

/// <summary>
/// The few Linux system calls the epoll backend needs, bound by source-generated P/Invoke.
/// Descriptors go in as <see cref="SafeHandle"/>s: the marshaller holds a reference for the
/// length of the call, so a descriptor closed on another thread can never be reused under us
/// mid-call (the call throws <see cref="ObjectDisposedException"/> instead).
/// </summary>
internal static partial class LinuxNative
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;

    public const int CloseOnExec = 0x80000;
    public const int NonBlocking = 0x800;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;

    private const string Libc = "libc";

    /// <summary>
    /// Bytes per <c>struct epoll_event</c>. The kernel packs it on x86 (32-bit <c>events</c>,
    /// then the 64-bit <c>data</c> at offset 4: 12 bytes) and aligns it naturally elsewhere,
    /// arm64 included (data at offset 8: 16 bytes).
    /// </summary>
    public static readonly int EventSize = Packed ? 12 : 16;

    /// <summary>Where <c>epoll_event.data</c> starts.</summary>
    public static readonly int EventDataOffset = Packed ? 4 : 8;

    private static bool Packed => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(SafeHandle epoll, int op, SafeHandle fd, ref byte epollEvent);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(SafeHandle epoll, ref byte events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(SafeHandle fd, ref ulong value, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeHandle fd, ref ulong value, nuint count);
}
