namespace Stomper.Tests.EventLoop;
public class Probe { [NUnit.Framework.Test] public void Two_and_two_make_four() => NUnit.Framework.Assert.That(2 + 2, NUnit.Framework.Is.EqualTo(4)); }
