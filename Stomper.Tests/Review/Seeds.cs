using NUnit.Framework;

namespace Stomper.Tests.Review;

/// <summary>
/// Runs a seeded walk for many seeds in one test rather than a test per seed: the seed of
/// a failure is in its message, and the count of tests stays a count of behaviours.
/// </summary>
internal static class Seeds
{
    public static void Each(int count, Action<int> walk)
    {
        for (var seed = 1; seed <= count; seed++)
        {
            try
            {
                walk(seed);
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}: {e}");
            }
        }
    }
}
