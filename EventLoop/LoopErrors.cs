namespace EventLoop;

/// <summary>
/// Every message the loop throws about threads, in one place, so that they read alike
/// and always say which thread owns the loop and how to hand work over to it.
/// </summary>
internal static class LoopErrors
{
    private const string HandOver =
        "From another thread, hand the work to the loop with Loop.Post (AE.Post for the default loop), "
        + "or wait for a result with CondVar.Recv, which on another thread blocks until the loop's thread sends.";

    /// <summary>A member that is not thread-safe was called on a thread other than the loop's owner.</summary>
    public static InvalidOperationException WrongThread(string member, Thread owner) => new(
        $"{member} was called on thread {Describe(Thread.CurrentThread)}, but this loop belongs to thread {Describe(owner)}, "
        + "the thread that runs it. The loop, its watchers and handles, and the clients on it are not thread-safe and may only "
        + $"be used on that thread. {HandOver}");

    /// <summary>A thread tried to run a loop that another, live thread owns.</summary>
    public static InvalidOperationException ForeignRun(string member, Thread owner) => new(
        $"{member} was called on thread {Describe(Thread.CurrentThread)}, but this loop belongs to thread {Describe(owner)}: "
        + "a loop is run only by the first thread that runs it, for as long as that thread lives. "
        + HandOver);

    /// <summary>The loop's own thread tried to run it again from inside one of its callbacks.</summary>
    public static InvalidOperationException NestedRun() => new(
        "The loop cannot be run from inside one of its own callbacks (a blocking wait such as Recv inside a callback, "
        + "which AnyEvent forbids too). Use a callback (cv.Cb) instead.");

    private static string Describe(Thread thread) =>
        thread.Name is { Length: > 0 } name ? $"{thread.ManagedThreadId} (\"{name}\")" : thread.ManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
