using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.Testing;

/// <summary><see cref="LoopStepping.Advance"/> refuses what it cannot do instead of doing nothing or never returning.</summary>
[TestFixture]
public sealed class LoopSteppingTests
{
    [TestCase(double.NaN, 0.1, "seconds")]
    [TestCase(double.PositiveInfinity, 0.1, "seconds")]
    [TestCase(-1.0, 0.1, "seconds")]
    [TestCase(1.0, double.NaN, "step")]
    [TestCase(1.0, double.PositiveInfinity, "step")]
    [TestCase(1.0, 0.0, "step")]
    public void Advance_refuses_a_span_or_step_that_is_not_a_finite_number_in_range(double seconds, double step, string parameter)
    {
        using var loop = new Loop(new FakeClock());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => loop.Advance(seconds, step));

        Assert.That(error!.ParamName, Is.EqualTo(parameter));
        Assert.That(loop.Clock.MonotonicSeconds, Is.Zero, "the clock moved");
    }
}
