using NUnit.Framework;

namespace Stomper.Tests.Codec;

public class RoundTripTests
{
    [Test]
    public void Every_frame_the_writer_writes_the_reader_reads_back_identically(
        [Values] StompVersion version, [Values] FrameSource source)
    {
        var random = new Random(1000 + ((int)version * 2) + (int)source);
        var frames = new RandomFrames(random);
        for (int i = 0; i < 1000; i++)
        {
            var sent = frames.Next(source, version, maxHeaders: 6, maxText: 12, maxBody: 64);
            var harness = new ReaderHarness(new FrameReader(source) { Version = version });

            harness.FeedInChunks(RandomFrames.Bytes(sent, version), 1 + random.Next(16));

            Assert.That(harness.Error, Is.Null, $"frame {i}");
            Assert.That(FrameReaderTests.Describe(harness.Frames), Is.EqualTo(FrameReaderTests.Describe([sent])), $"frame {i}");
        }
    }

    [TestCase(StompVersion.V1_0)]
    [TestCase(StompVersion.V1_1)]
    [TestCase(StompVersion.V1_2)]
    public void A_SEND_written_by_the_client_is_read_by_a_broker_with_its_headers_and_binary_body(StompVersion version)
    {
        string tricky = version == StompVersion.V1_2 ? "a:b\\c\nd\re" : version == StompVersion.V1_1 ? "a:b\\c\nd" : "a:b\\c";
        byte[] body = [0, 1, 2, 0, 255];
        var sent = new Frame("SEND", new FrameHeaders(("destination", "/queue/x"), ("tricky", tricky), ("tricky", "second")), body);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.Write(output, sent, version);

        var received = new ReaderHarness(new FrameReader(FrameSource.Client) { Version = version }).Feed(output.WrittenSpan).Frames.Single();

        Assert.That(received.Headers["tricky"], Is.EqualTo(tricky));
        Assert.That(received.Headers["content-length"], Is.EqualTo("5"));
        Assert.That(received.BodyBytes.ToArray(), Is.EqualTo(body));
        Assert.That(received.Headers.Select(h => h.Key), Is.EqualTo(new[] { "destination", "tricky", "tricky", "content-length" }));
    }

    [Test]
    public void A_CONNECT_written_after_1_2_was_negotiated_elsewhere_is_still_read_unescaped()
    {
        var sent = new Frame("CONNECT", new FrameHeaders(("accept-version", StompVersions.AcceptAll), ("passcode", "p:\\w"), ("heart-beat", "5000,5000")));
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.Write(output, sent, StompVersion.V1_2);

        var received = new ReaderHarness(new FrameReader(FrameSource.Client) { Version = StompVersion.V1_2 }).Feed(output.WrittenSpan).Frames.Single();

        Assert.That(received.Headers["passcode"], Is.EqualTo("p:\\w"));
        Assert.That(received.Headers["accept-version"], Is.EqualTo("1.0,1.1,1.2"));
    }
}
