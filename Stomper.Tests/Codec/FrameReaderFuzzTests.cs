using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Codec;

public class FrameReaderFuzzTests
{
    private static readonly FrameLimits Limits = new()
    {
        MaxFrameSize = 1024,
        MaxHeaderCount = 8,
        MaxHeaderLineLength = 200,
        MaxCommandLineLength = 16,
    };

    [Test]
    public void A_hundred_thousand_random_and_mutated_frames_never_break_the_reader_contract()
    {
        var random = new Random(20240611);
        var frames = new RandomFrames(random);
        int parsed = 0, failed = 0, intact = 0;

        for (int n = 0; n < 100_000; n++)
        {
            var version = (StompVersion)(10 + random.Next(3));
            var sent = new List<Frame>();
            var input = new List<byte>();
            for (int count = 1 + random.Next(3); count > 0; count--)
            {
                input.AddRange(Enumerable.Repeat((byte)'\n', random.Next(3) == 0 ? random.Next(4) : 0));
                var frame = frames.Next(FrameSource.Server, version, maxHeaders: 6, maxText: 20, maxBody: random.Next(8) == 0 ? 1500 : 100);
                sent.Add(frame);
                input.AddRange(RandomFrames.Bytes(frame, version));
            }

            bool mutated = random.Next(2) == 0;
            byte[] bytes = mutated ? Mutate([.. input], random) : [.. input];
            var harness = new ReaderHarness(new FrameReader(FrameSource.Server, Limits) { Version = version });

            for (int at = 0; at < bytes.Length && harness.Error is null;)
            {
                int size = Math.Min(bytes.Length - at, random.Next(4) == 0 ? 1 + random.Next(3) : 1 + random.Next(400));
                harness.Feed(bytes.AsSpan(at, size));
                at += size;
            }

            Assert.That(harness.MaxPendingWhileWaiting, Is.LessThan(Limits.MaxFrameSize), $"case {n}");
            if (harness.Error is not null)
            {
                Assert.That(harness.Error.Code, Is.EqualTo(E_UNEXPECTED_DATA), $"case {n}");
                Assert.That(harness.Error.Message, Does.StartWith("Malformed frame received: "), $"case {n}");
                failed++;
            }

            parsed += harness.Frames.Count;
            if (!mutated)
            {
                int fitting = sent.TakeWhile(f => RandomFrames.Bytes(f, version).Length <= Limits.MaxFrameSize).Count();
                Assert.That(FrameReaderTests.Describe(harness.Frames), Is.EqualTo(FrameReaderTests.Describe(sent.Take(fitting))), $"case {n}");
                Assert.That(harness.Error is null, Is.EqualTo(fitting == sent.Count), $"case {n}");
                intact += fitting == sent.Count ? 1 : 0;
            }
        }

        // The generator must reach every outcome, or the test proves little.
        Assert.That(parsed, Is.GreaterThan(100_000));
        Assert.That(failed, Is.GreaterThan(10_000));
        Assert.That(intact, Is.GreaterThan(30_000));
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        switch (random.Next(6))
        {
            case 0:
                for (int i = 1 + random.Next(3); i > 0 && bytes.Count > 0; i--)
                {
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                }

                break;
            case 1:
                bytes.InsertRange(random.Next(bytes.Count + 1), Interesting(random));
                break;
            case 2:
                if (bytes.Count > 1)
                {
                    int start = random.Next(bytes.Count);
                    bytes.RemoveRange(start, random.Next(1, bytes.Count - start + 1));
                }

                break;
            case 3:
                bytes.RemoveRange(random.Next(bytes.Count), bytes.Count > 0 ? 1 : 0);
                break;
            case 4:
                byte[] noise = new byte[random.Next(1, 3000)];
                random.NextBytes(noise);
                return noise;
            default:
                int at = random.Next(bytes.Count + 1);
                bytes.InsertRange(at, Enumerable.Repeat(Interesting(random)[0], random.Next(1, 1500)));
                break;
        }

        return [.. bytes];
    }

    private static byte[] Interesting(Random random) => random.Next(8) switch
    {
        0 => [0],
        1 => [(byte)'\n'],
        2 => [(byte)'\r'],
        3 => [(byte)':'],
        4 => [(byte)'\\'],
        5 => "content-length:99\n"u8.ToArray(),
        6 => "\\t"u8.ToArray(),
        _ => [(byte)random.Next(256)],
    };
}
