using System.Runtime.InteropServices;

namespace EventLoop;

/// <summary>
/// Makes a signal that the process inherited as ignored reach the runtime's handler.
/// </summary>
/// <remarks>
/// <para>A process started with a signal ignored (a background job of a non-interactive
/// shell ignores INT and QUIT; <c>nohup</c> ignores HUP; <c>trap "" INT</c>) keeps it
/// ignored under .NET: the runtime respects an inherited <c>SIG_IGN</c> and never puts
/// its handler on that signal, so a <see cref="PosixSignalRegistration"/> for it never
/// fires. AnyEvent sets <c>$SIG{INT}</c> regardless and its watcher fires. Resetting the
/// signal to its default before registering does not help: the runtime records the
/// dispositions of INT and QUIT when it starts, before any user code.</para>
/// <para>So, once registered, a signal still ignored gets the handler that the runtime
/// put on a signal it always handles (CONT, or else WINCH or CHLD): one native function
/// serves every signal and forwards it to the registrations. With no registration left,
/// that handler does what the disposition it recorded says, which is to ignore: the
/// inherited ignore holds again once the watcher is gone.</para>
/// <para>Only Linux and macOS; elsewhere, and when no such handler is found, nothing
/// changes. <c>struct sigaction</c> is copied whole, without knowing its layout beyond
/// the handler being its first member, as it is on both systems.</para>
/// </remarks>
internal static partial class InheritedSignalIgnore
{
    private const int SizeOfSigaction = 256;
    private static readonly IntPtr SigDfl = 0;
    private static readonly IntPtr SigIgn = 1;

    /// <summary>Gives <paramref name="signal"/> the runtime's handler if it is still ignored; true when it did.</summary>
    public static bool Override(PosixSignal signal)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || SignalNames.Number(signal) is not { } number)
        {
            return false;
        }

        var current = new byte[SizeOfSigaction];
        if (sigaction(number, null, current) != 0 || Handler(current) != SigIgn)
        {
            return false;
        }

        foreach (var source in HandledByTheRuntime())
        {
            var action = new byte[SizeOfSigaction];
            if (sigaction(source, null, action) == 0 && Handler(action) != SigDfl && Handler(action) != SigIgn)
            {
                return sigaction(number, action, null) == 0;
            }
        }

        return false;
    }

    /// <summary>The handler, the first member of <c>struct sigaction</c>: a pointer, as wide as the process's.</summary>
    private static IntPtr Handler(byte[] action) => System.Runtime.InteropServices.MemoryMarshal.Read<IntPtr>(action);

    /// <summary>CONT, WINCH and CHLD, which the runtime handles itself once its signal handling is up.</summary>
    private static int[] HandledByTheRuntime() => OperatingSystem.IsMacOS() ? [19, 28, 20] : [18, 28, 17];

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for the byte arrays; this call is rare.
    private static extern int sigaction(int signal, byte[]? action, byte[]? previous);
#pragma warning restore SYSLIB1054
}
