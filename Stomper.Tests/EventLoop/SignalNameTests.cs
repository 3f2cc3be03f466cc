using System.Runtime.InteropServices;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>Perl's <c>%SIG</c> names, mapped to each system's numbers (see docs/differences.md).</summary>
[TestFixture]
public sealed class SignalNameTests
{
    [TestCase("USR1", 10, 30)]
    [TestCase("SIGUSR2", 12, 31)]
    [TestCase("ALRM", 14, 14)]
    [TestCase("PIPE", 13, 13)]
    [TestCase("URG", 23, 16)]
    [Platform("Linux,MacOsX")]
    public void A_name_the_runtime_does_not_know_is_watched_by_the_systems_own_number(string name, int linux, int macOS)
    {
        Assert.That((int)SignalWatcher.Parse(name), Is.EqualTo(OperatingSystem.IsLinux() ? linux : macOS));
    }

    [TestCase("TSTP", 20)]
    [TestCase("CHLD", 17)]
    [TestCase("CONT", 18)]
    [TestCase("TTOU", 22)]
    [TestCase("INT", 2)]
    [Platform("Linux")]
    public void The_runtimes_own_signal_values_map_to_the_systems_numbers(string name, int number)
    {
        Assert.That(SignalNames.Number(SignalWatcher.Parse(name)), Is.EqualTo(number));
    }

    [TestCase("KILL", "no process can catch KILL or STOP")]
    [TestCase("SIGSTOP", "no process can catch KILL or STOP")]
    [TestCase("SEGV", "the .NET runtime handles it itself")]
    [TestCase("FPE", "the .NET runtime handles it itself")]
    [TestCase("BOGUS", "Unknown signal \"BOGUS\"")]
    [Platform("Linux,MacOsX")]
    public void A_signal_that_cannot_be_watched_is_refused_saying_why(string name, string why)
    {
        using var loop = new Loop(new FakeClock());

        var error = Assert.Throws<ArgumentException>(() => loop.Signal(name, () => { }));

        Assert.That(error!.Message, Does.Contain(why));
    }

    [Test]
    [Platform("Linux")]
    public void Watchers_on_ALRM_PIPE_and_USR1_fire_when_the_process_gets_those_signals()
    {
        var (exitCode, output) = ChildProcess.Run("alrm-pipe-usr1");

        Assert.That(output, Does.Contain("ALRM fired").And.Contain("PIPE fired").And.Contain("USR1 fired"), output);
        Assert.That(exitCode, Is.Zero, output);
    }
}
