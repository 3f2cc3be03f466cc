using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>Signal behaviour that needs a process of its own (see <see cref="ChildProcess"/>).</summary>
[TestFixture]
[Platform("Linux")]
public sealed class SignalProcessTests
{
    [Test]
    public void A_signal_watcher_fires_in_a_process_started_with_the_signal_ignored()
    {
        var (exitCode, output) = ChildProcess.Run("signal-inherited-as-ignored", shellPrefix: "trap '' INT;");

        Assert.That(output, Does.Contain("ignored at start: True"), "the child did not inherit SIGINT as ignored");
        Assert.That(output, Does.Contain("fired"));
        Assert.That(output, Does.Contain("survived SIGINT after dispose"));
        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public void A_signal_after_its_loop_is_disposed_neither_crashes_the_process_nor_reaches_the_callback()
    {
        var (exitCode, output) = ChildProcess.Run("signal-after-loop-disposed");

        Assert.That(output, Does.Contain("survived").And.Not.Contain("callback of a disposed loop"));
        Assert.That(exitCode, Is.Zero, output);
    }
}
