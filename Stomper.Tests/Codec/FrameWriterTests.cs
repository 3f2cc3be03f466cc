using System.Buffers;
using System.Text;
using NUnit.Framework;

namespace Stomper.Tests.Codec;

public class FrameWriterTests
{
    [Test]
    public void A_SEND_frame_is_written_byte_for_byte()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter(output, StompVersion.V1_2);
        writer.WriteCommand("SEND");
        writer.WriteHeader("destination", "/queue/foo");
        writer.WriteContentLength(13);
        writer.EndHeaders();
        writer.WriteBody("Hello, world!"u8);

        Assert.That(Text(output), Is.EqualTo("SEND\ndestination:/queue/foo\ncontent-length:13\n\nHello, world!\0"));
    }

    [Test]
    public void A_text_body_is_written_as_UTF8()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter(output, StompVersion.V1_2);
        writer.WriteCommand("SEND");
        writer.WriteContentLength(Encoding.UTF8.GetByteCount("ünï"));
        writer.EndHeaders();
        writer.WriteBody("ünï");

        Assert.That(Text(output), Is.EqualTo("SEND\ncontent-length:5\n\nünï\0"));
    }

    [Test]
    public void A_frame_without_body_ends_with_the_blank_line_and_NUL()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter(output, StompVersion.V1_0);
        writer.WriteCommand("DISCONNECT");
        writer.WriteHeader("receipt", "R_s.1");
        writer.EndHeaders();
        writer.WriteBody([]);

        Assert.That(Text(output), Is.EqualTo("DISCONNECT\nreceipt:R_s.1\n\n\0"));
    }

    [Test]
    public void A_heart_beat_is_a_single_LF()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameWriter.WriteHeartBeat(output);

        Assert.That(Text(output), Is.EqualTo("\n"));
    }

    [Test]
    public void Writing_a_whole_frame_adds_content_length_when_it_has_a_body_and_none()
    {
        var frame = new Frame("SEND", new FrameHeaders(("destination", "/q")), "abc");

        Assert.That(Write(frame, StompVersion.V1_2), Is.EqualTo("SEND\ndestination:/q\ncontent-length:3\n\nabc\0"));
    }

    [Test]
    public void Writing_a_whole_frame_keeps_the_callers_content_length()
    {
        var frame = new Frame("SEND", new FrameHeaders(("content-length", "3"), ("destination", "/q")), "abc");

        Assert.That(Write(frame, StompVersion.V1_2), Is.EqualTo("SEND\ncontent-length:3\ndestination:/q\n\nabc\0"));
    }

    [Test]
    public void Writing_a_whole_frame_without_body_adds_no_content_length()
    {
        var frame = new Frame("SUBSCRIBE", new FrameHeaders(("id", "1"), ("destination", "/q")));

        Assert.That(Write(frame, StompVersion.V1_2), Is.EqualTo("SUBSCRIBE\nid:1\ndestination:/q\n\n\0"));
    }

    [Test]
    public void Writing_a_whole_frame_keeps_repeated_headers_in_order()
    {
        var frame = new Frame("SEND", new FrameHeaders(("x", "1"), ("x", "2")));

        Assert.That(Write(frame, StompVersion.V1_1), Is.EqualTo("SEND\nx:1\nx:2\n\n\0"));
    }

    [TestCase(StompVersion.V1_0, "SEND\nk:a:b\\c\n\n\0")]
    [TestCase(StompVersion.V1_1, "SEND\nk:a\\cb\\\\c\n\n\0")]
    [TestCase(StompVersion.V1_2, "SEND\nk:a\\cb\\\\c\n\n\0")]
    public void Headers_are_escaped_by_version(StompVersion version, string expected)
    {
        Assert.That(Write(new Frame("SEND", new FrameHeaders(("k", "a:b\\c"))), version), Is.EqualTo(expected));
    }

    [TestCase(StompVersion.V1_1, "SEND\na\\cb:x\\ny\n\n\0")]
    [TestCase(StompVersion.V1_2, "SEND\na\\cb:x\\ny\\rz\n\n\0")]
    public void Names_and_values_escape_line_breaks_and_colons(StompVersion version, string expected)
    {
        string value = version == StompVersion.V1_2 ? "x\ny\rz" : "x\ny";

        Assert.That(Write(new Frame("SEND", new FrameHeaders(("a:b", value))), version), Is.EqualTo(expected));
    }

    [TestCase("CONNECT")]
    [TestCase("STOMP")]
    [TestCase("CONNECTED")]
    public void Connection_handshake_frames_are_never_escaped(string command)
    {
        var frame = new Frame(command, new FrameHeaders(("passcode", "p:a\\ss")));

        Assert.That(Write(frame, StompVersion.V1_2), Is.EqualTo($"{command}\npasscode:p:a\\ss\n\n\0"));
    }

    [TestCase("CONNECT", StompVersion.V1_2, "login", "a\nb")]
    [TestCase("CONNECT", StompVersion.V1_2, "login", "a\rb")]
    [TestCase("CONNECT", StompVersion.V1_2, "lo:gin", "a")]
    [TestCase("SEND", StompVersion.V1_0, "k", "line\nbreak")]
    [TestCase("SEND", StompVersion.V1_0, "k:", "v")]
    [TestCase("SEND", StompVersion.V1_1, "k", "cr\r")]
    [TestCase("SEND", StompVersion.V1_1, "k\r", "v")]
    public void A_header_the_frame_cannot_carry_is_refused_rather_than_sent_corrupt(string command, StompVersion version, string name, string value)
    {
        var output = new ArrayBufferWriter<byte>();

        var error = Assert.Throws<ArgumentException>(() =>
        {
            var writer = new FrameWriter(output, version);
            writer.WriteCommand(command);
            writer.WriteHeader(name, value);
        });

        Assert.That(error!.Message, Does.StartWith($"Header \"{name}\" cannot be written in a {command} frame with STOMP {version.ToHeaderValue()}"));
        Assert.That(output.WrittenCount, Is.EqualTo(command.Length + 1), "nothing of the header was written");
    }

    [Test]
    public void Writing_out_of_order_throws()
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<InvalidOperationException>(() => new FrameWriter(output, StompVersion.V1_2).WriteHeader("k", "v"));
        Assert.Throws<InvalidOperationException>(() => new FrameWriter(output, StompVersion.V1_2).WriteBody([]));
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new FrameWriter(output, StompVersion.V1_2);
            writer.WriteCommand("SEND");
            writer.EndHeaders();
            writer.WriteHeader("late", "header");
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new FrameWriter(output, StompVersion.V1_2);
            writer.WriteCommand("SEND");
            writer.EndHeaders();
            writer.WriteBody([]);
            writer.WriteBody([]);
        });
    }

    [Test]
    public void A_negative_content_length_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var writer = new FrameWriter(new ArrayBufferWriter<byte>(), StompVersion.V1_2);
            writer.WriteCommand("SEND");
            writer.WriteContentLength(-1);
        });
    }

    [Test]
    public void Writing_ten_thousand_SEND_frames_allocates_nothing()
    {
        var output = new ArrayBufferWriter<byte>(4 * 1024 * 1024);
        var frame = new Frame("SEND", new FrameHeaders(("destination", "/queue/a:b"), ("persistent", "true")), "payload");
        byte[] body = Encoding.UTF8.GetBytes("Hello, world! Привет!");
        WriteSends(output, frame, body, 10); // warm-up: JIT and static initialisers
        output.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        WriteSends(output, frame, body, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(output.WrittenCount, Is.GreaterThan(10_000 * 60));
    }

    private static void WriteSends(ArrayBufferWriter<byte> output, Frame frame, byte[] body, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (i % 2 == 0)
            {
                var writer = new FrameWriter(output, StompVersion.V1_2);
                writer.WriteCommand(StompCommands.Send);
                writer.WriteHeader("destination", "/queue/fö\u00f6:1");
                writer.WriteHeader("receipt", "R_session.42");
                writer.WriteContentLength(body.Length);
                writer.EndHeaders();
                writer.WriteBody(body);
            }
            else
            {
                FrameWriter.Write(output, frame, StompVersion.V1_2);
            }
        }
    }

    internal static string Write(Frame frame, StompVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, frame, version);
        return Text(output);
    }

    private static string Text(ArrayBufferWriter<byte> output) => Encoding.UTF8.GetString(output.WrittenSpan);
}
