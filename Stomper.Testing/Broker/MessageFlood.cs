using System.Buffers;
using System.Globalization;
using System.Text;

namespace Stomper.Testing;

/// <summary>
/// N MESSAGE frames for one subscription, encoded once: each further frame is a copy of
/// the template with the counter digits of <c>message-id</c> (and <c>ack</c>) patched in,
/// so a benchmark measures the client, not the fake's encoder.
/// </summary>
internal sealed class MessageFlood
{
    private const int Digits = 12;

    private readonly byte[] _template;
    private readonly int[] _counterOffsets;
    private long _sent;

    private MessageFlood(FakeSubscription subscription, byte[] template, int[] counterOffsets, long count)
    {
        Subscription = subscription;
        _template = template;
        _counterOffsets = counterOffsets;
        Count = count;
    }

    /// <summary>The subscription it delivers to: the flood ends with it, as a broker stops delivering after UNSUBSCRIBE.</summary>
    public FakeSubscription Subscription { get; }

    /// <summary>How many frames the flood sends in all.</summary>
    public long Count { get; }

    /// <summary>True once every frame has been written.</summary>
    public bool Done => _sent >= Count;

    /// <summary>Encodes the template for <paramref name="subscription"/> with a body of <paramref name="bodySize"/> bytes.</summary>
    public static MessageFlood Create(FakeSubscription subscription, StompVersion version, string idPrefix, long count, int bodySize)
    {
        var marker = idPrefix + new string('0', Digits);
        var headers = new List<(string, string)>(4);
        if (subscription.Id is { } id)
        {
            headers.Add(("subscription", id));
        }

        headers.Add(("message-id", marker));
        headers.Add(("destination", subscription.Destination));
        if (version == StompVersion.V1_2 && subscription.Ack != "auto")
        {
            headers.Add(("ack", marker));
        }

        var body = new byte[bodySize];
        body.AsSpan().Fill((byte)'x');
        var output = new ArrayBufferWriter<byte>(bodySize + 256);
        FrameWriter.Write(output, new Frame(StompCommands.Message, new FrameHeaders([.. headers]), body), version);
        var template = output.WrittenSpan.ToArray();

        // The marker has no character that needs escaping, so it sits in the bytes as
        // written; the body is all 'x' and cannot hold it.
        var markerBytes = Encoding.ASCII.GetBytes(marker);
        var offsets = new List<int>(2);
        var headerEnd = template.AsSpan().IndexOf("\n\n"u8);
        for (var from = 0; ;)
        {
            var at = template.AsSpan(from, headerEnd - from).IndexOf(markerBytes);
            if (at < 0)
            {
                break;
            }

            offsets.Add(from + at + idPrefix.Length);
            from += at + markerBytes.Length;
        }

        return new MessageFlood(subscription, template, [.. offsets], count);
    }

    /// <summary>Appends the next frame to <paramref name="output"/>.</summary>
    public void WriteNext(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(_template.Length);
        _template.CopyTo(span);
        Span<char> digits = stackalloc char[Digits];
        (++_sent).TryFormat(digits, out _, "D12", CultureInfo.InvariantCulture);
        foreach (var offset in _counterOffsets)
        {
            for (var i = 0; i < Digits; i++)
            {
                span[offset + i] = (byte)digits[i];
            }
        }

        output.Advance(_template.Length);
    }
}
