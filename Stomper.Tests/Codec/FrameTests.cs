using System.Text;
using NUnit.Framework;

namespace Stomper.Tests.Codec;

public class FrameTests
{
    [Test]
    public void Headers_look_up_the_first_occurrence_and_answer_null_when_absent()
    {
        var headers = new FrameHeaders(("a", "1"), ("b", "2"), ("a", "3"));

        Assert.That(headers["a"], Is.EqualTo("1"));
        Assert.That(headers["missing"], Is.Null);
        Assert.That(headers.ContainsKey("b"), Is.True);
        Assert.That(headers.ContainsKey("B"), Is.False, "names are case-sensitive");
        Assert.That(headers.TryGetValue("a", out string? value) && value == "1");
        Assert.That(headers.TryGetValue("zzz", out string? none), Is.False);
        Assert.That(none, Is.Null);
        Assert.That(headers.Count, Is.EqualTo(3));
    }

    [Test]
    public void Headers_enumerate_in_wire_order_and_index_by_position()
    {
        var headers = new FrameHeaders(new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" });

        Assert.That(headers.Select(h => h.Key + "=" + h.Value), Is.EqualTo(new[] { "x=1", "y=2" }));
        Assert.That(headers[1], Is.EqualTo(new KeyValuePair<string, string>("y", "2")));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = headers[2]);
        Assert.That(headers.ToString(), Is.EqualTo("x:1\ny:2"));
    }

    [Test]
    public void Empty_headers_have_nothing()
    {
        Assert.That(FrameHeaders.Empty.Count, Is.Zero);
        Assert.That(FrameHeaders.Empty["x"], Is.Null);
        Assert.That(new Frame("RECEIPT").Headers, Is.SameAs(FrameHeaders.Empty));
    }

    [Test]
    public void A_text_body_is_UTF8_bytes_and_its_text_is_kept()
    {
        var frame = new Frame("SEND", null, "héllo");

        Assert.That(frame.BodyBytes.ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes("héllo")));
        Assert.That(frame.Body, Is.EqualTo("héllo"));
    }

    [Test]
    public void A_byte_body_is_kept_exactly_with_NULs()
    {
        byte[] body = [0, 255, 0, 1];

        var frame = new Frame("SEND", null, body);

        Assert.That(frame.BodyBytes.ToArray(), Is.EqualTo(body));
        Assert.That(frame.Body, Has.Length.EqualTo(4));
    }

    [Test]
    public void A_frame_needs_a_command()
    {
        Assert.Throws<ArgumentException>(() => _ = new Frame(""));
        Assert.Throws<ArgumentNullException>(() => _ = new FrameHeaders(("name", null!)));
    }

    [Test]
    public void Frame_limits_default_to_sane_values_and_refuse_non_positive_ones()
    {
        Assert.That(FrameLimits.Default.MaxFrameSize, Is.EqualTo(16 * 1024 * 1024));
        Assert.That(FrameLimits.Default.MaxHeaderCount, Is.EqualTo(1000));
        Assert.That(FrameLimits.Default.MaxHeaderLineLength, Is.EqualTo(64 * 1024));
        Assert.That(FrameLimits.Default.MaxCommandLineLength, Is.EqualTo(256));
        Assert.That(() => _ = new FrameLimits { MaxFrameSize = 0 }, Throws.ArgumentException.With.Message.EqualTo("\"MaxFrameSize\" must be a positive integer"));
        Assert.That(() => _ = new FrameLimits { MaxHeaderCount = -1 }, Throws.ArgumentException.With.Message.EqualTo("\"MaxHeaderCount\" must be a positive integer"));
    }
}
