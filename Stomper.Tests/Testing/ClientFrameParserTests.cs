using System.Text;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.Testing;

[TestFixture]
public sealed class ClientFrameParserTests
{
    [Test]
    public void A_frame_cut_across_writes_is_read_once_whole_and_heart_beats_between_are_counted()
    {
        var parser = new ClientFrameParser();
        parser.Append("SEND\ndestination:/q\n\nhel"u8);
        var early = parser.TryRead(out _);
        parser.Append("lo\0\n\nACK\nid:1\n\n\0"u8);

        Assert.That(early, Is.False);
        Assert.That(parser.TryRead(out var send) && send.Body == "hello", Is.True);
        Assert.That(parser.TryRead(out var ack) && ack.Command == "ACK", Is.True);
        Assert.That(parser.TryRead(out _), Is.False);
        Assert.That(parser.HeartBeats, Is.EqualTo(2));
    }

    [Test]
    public void ParseAll_unescapes_headers_by_the_version_negotiated_after_CONNECT()
    {
        var bytes = Encoding.UTF8.GetBytes("CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/a\\cb\n\n\0");

        var frames = ClientFrameParser.ParseAll(bytes, StompVersion.V1_2);

        Assert.That(frames.Select(f => f.Command), Is.EqualTo(new[] { "CONNECT", "SEND" }));
        Assert.That(frames[1].Headers["destination"], Is.EqualTo("/a:b"));
    }

    [Test]
    public void Malformed_bytes_stop_the_reading_with_the_readers_fault()
    {
        var parser = new ClientFrameParser { Version = StompVersion.V1_2 };
        parser.Append("SEND\ndestination:/a\\x\n\n\0ACK\n\n\0"u8);

        Assert.That(parser.TryRead(out _), Is.False);
        Assert.That(parser.Fault, Is.Not.Null);
        Assert.That(parser.TryRead(out _), Is.False);
        Assert.That(() => ClientFrameParser.ParseAll("SEND\nx\n\n\0"u8, StompVersion.V1_2), Throws.InstanceOf<FormatException>());
    }
}
