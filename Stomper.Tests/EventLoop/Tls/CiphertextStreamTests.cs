using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>
/// The stream under the transport's SslStream hands ciphertext one TLS record at a time, so
/// that SslStream holds none between its reads and the transport can read the socket first.
/// </summary>
[TestFixture]
public sealed class CiphertextStreamTests
{
    [Test]
    public void Two_records_read_from_the_socket_at_once_are_handed_one_at_a_time()
    {
        using var stream = new CiphertextStream(1024);
        Receive(stream, [.. Record(0x17, 3), .. Record(0x17, 2)]);
        var into = new byte[1024];

        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(5 + 3));
        Assert.That(into.AsSpan(0, 8).ToArray(), Is.EqualTo(Record(0x17, 3)));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(5 + 2));
        Assert.That(into.AsSpan(0, 7).ToArray(), Is.EqualTo(Record(0x17, 2)));
        Assert.That(stream.HasInbound, Is.False);
    }

    [Test]
    public void A_header_split_between_socket_reads_still_ends_the_hand_out_at_its_record()
    {
        using var stream = new CiphertextStream(1024);
        byte[] both = [.. Record(0x17, 4), .. Record(0x15, 2)];
        var into = new byte[1024];

        Receive(stream, both.AsSpan(0, 3));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(3), "a piece of a header goes as it is");
        Receive(stream, both.AsSpan(3));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(2 + 4), "the rest of the first record, no further");
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(5 + 2));
        Assert.That(stream.Framed, Is.True);
    }

    [Test]
    public void A_record_longer_than_the_read_is_handed_over_several_reads()
    {
        using var stream = new CiphertextStream(1024);
        Receive(stream, [.. Record(0x17, 100), .. Record(0x17, 1)]);
        var into = new byte[40];

        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(40));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(40));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(105 - 80));
        Assert.That(stream.ReadAsync(into).Result, Is.EqualTo(6));
    }

    [Test]
    public void Bytes_that_are_not_tls_records_are_handed_as_they_came_for_SslStream_to_judge()
    {
        using var stream = new CiphertextStream(1024);
        var garbage = "HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray();
        Receive(stream, garbage);

        Assert.That(stream.ReadAsync(new byte[1024]).Result, Is.EqualTo(garbage.Length));
        Assert.That(stream.Framed, Is.False);
    }

    [Test]
    public void A_read_waiting_for_ciphertext_gets_one_record_of_what_arrives()
    {
        using var stream = new CiphertextStream(1024);
        var into = new byte[1024];
        var read = stream.ReadAsync(into);
        Assert.That(read.IsCompleted, Is.False);

        Receive(stream, [.. Record(0x17, 1), .. Record(0x17, 1)]);

        Assert.That(read.IsCompleted, Is.True);
        Assert.That(read.Result, Is.EqualTo(6));
        Assert.That(stream.HasInbound, Is.True, "the second record waits here, not in SslStream");
    }

    private static byte[] Record(byte type, int length) =>
        [type, 0x03, 0x03, (byte)(length >> 8), (byte)length, .. Enumerable.Range(1, length).Select(i => (byte)i)];

    private static void Receive(CiphertextStream stream, ReadOnlySpan<byte> bytes)
    {
        var space = stream.InboundSpace();
        bytes.CopyTo(space.AsSpan());
        stream.Received(bytes.Length);
    }
}
