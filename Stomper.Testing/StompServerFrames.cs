using System.Globalization;

namespace Stomper.Testing;

/// <summary>
/// The broker's side of STOMP that both fakes share: version negotiation, the CONNECTED,
/// ERROR, RECEIPT and MESSAGE frames a correct broker answers with.
/// </summary>
internal static class StompServerFrames
{
    /// <summary>The highest version both sides speak; 1.0 for a CONNECT without <c>accept-version</c>; null when there is none.</summary>
    public static StompVersion? Negotiate(string? acceptVersion, IReadOnlyList<StompVersion> supported)
    {
        if (acceptVersion is null)
        {
            return supported.Contains(StompVersion.V1_0) ? StompVersion.V1_0 : null;
        }

        StompVersion? best = null;
        foreach (var item in acceptVersion.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (StompVersions.TryParse(item, out var v) && supported.Contains(v) && (best is null || v > best))
            {
                best = v;
            }
        }

        return best;
    }

    /// <summary>The <c>cx,cy</c> of a <c>heart-beat</c> header; (0, 0) when absent or malformed.</summary>
    public static (int Send, int Receive) ParseHeartBeat(string? header)
    {
        var parts = header?.Split(',', StringSplitOptions.TrimEntries);
        return parts is [var a, var b]
            && int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var send)
            && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var receive)
            ? (send, receive)
            : (0, 0);
    }

    /// <summary>The ERROR that refuses a CONNECT whose versions the broker does not speak.</summary>
    public static Frame UnsupportedVersion(string? acceptVersion, IReadOnlyList<StompVersion> supported)
    {
        var list = string.Join(',', supported.Order().Select(v => v.ToHeaderValue()));
        return new Frame(
            StompCommands.Error,
            new FrameHeaders(("version", list), ("message", "Supported protocol versions are " + list), ("content-type", "text/plain")),
            $"The client accepts {acceptVersion}.");
    }

    /// <summary>CONNECTED; a 1.0 client that sent no <c>accept-version</c> gets no <c>version</c> header, as 1.0 brokers answer.</summary>
    public static Frame Connected(StompVersion version, bool versionAsked, string session, string server, int beatSend, int beatReceive)
    {
        var headers = new List<(string, string)>(4);
        if (versionAsked)
        {
            headers.Add(("version", version.ToHeaderValue()));
        }

        headers.Add(("session", session));
        headers.Add(("server", server));
        if (version >= StompVersion.V1_1)
        {
            headers.Add(("heart-beat", string.Create(CultureInfo.InvariantCulture, $"{beatSend},{beatReceive}")));
        }

        return new Frame(StompCommands.Connected, new FrameHeaders([.. headers]));
    }

    /// <summary>RECEIPT for <paramref name="receiptId"/>.</summary>
    public static Frame Receipt(string receiptId) => new(StompCommands.Receipt, new FrameHeaders(("receipt-id", receiptId)));

    /// <summary>ERROR with a <c>message</c>, naming the frame at fault by its receipt when it had one.</summary>
    public static Frame Error(string message, string body, string? receiptId)
    {
        var headers = new List<(string, string)> { ("message", message) };
        if (receiptId is not null)
        {
            headers.Add(("receipt-id", receiptId));
        }

        if (body.Length > 0)
        {
            headers.Add(("content-type", "text/plain"));
        }

        return new Frame(StompCommands.Error, new FrameHeaders([.. headers]), body);
    }

    /// <summary>
    /// MESSAGE for a subscription: <c>subscription</c>, <c>message-id</c>, <c>destination</c>,
    /// on 1.2 an <c>ack</c> header when the subscription acknowledges, then the sender's own
    /// headers (those a broker rewrites left out).
    /// </summary>
    public static Frame Message(FakeSubscription subscription, string messageId, StompVersion version, FrameHeaders extra, ReadOnlyMemory<byte> body)
    {
        var headers = new List<(string, string)>(extra.Count + 4);
        if (subscription.Id is { } id)
        {
            headers.Add(("subscription", id));
        }

        headers.Add(("message-id", messageId));
        headers.Add(("destination", subscription.Destination));
        if (version == StompVersion.V1_2 && subscription.Ack != "auto")
        {
            headers.Add(("ack", "ack-" + messageId));
        }

        foreach (var (name, value) in extra)
        {
            if (name is not ("destination" or "transaction" or "receipt" or "content-length" or "message-id" or "subscription" or "ack")
                && !headers.Exists(h => h.Item1 == name))
            {
                headers.Add((name, value));
            }
        }

        return new Frame(StompCommands.Message, new FrameHeaders([.. headers]), body);
    }

    /// <summary>The subscription a SUBSCRIBE frame makes (keyed by <c>id</c>, or by destination for a 1.0 client that gave none).</summary>
    public static FakeSubscription Subscription(Frame subscribe)
    {
        var id = subscribe.Headers["id"];
        var destination = subscribe.Headers["destination"] ?? string.Empty;
        return new FakeSubscription(id ?? destination, id, destination, subscribe.Headers["ack"] ?? "auto");
    }

    /// <summary>The key of the subscription an UNSUBSCRIBE ends (its <c>id</c>, or on 1.0 its destination); null when it names none.</summary>
    public static string? SubscriptionKey(Frame unsubscribe) => unsubscribe.Headers["id"] ?? unsubscribe.Headers["destination"];
}
