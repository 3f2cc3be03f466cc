namespace Stomper;

/// <summary>
/// The STOMP command names. The frame reader returns these very string instances for
/// the commands it parses, so a received frame's command costs no allocation.
/// </summary>
public static class StompCommands
{
    /// <summary>Client: open a session (all versions).</summary>
    public const string Connect = "CONNECT";

    /// <summary>Client: open a session (1.1+ synonym of CONNECT).</summary>
    public const string Stomp = "STOMP";

    /// <summary>Client: send a message.</summary>
    public const string Send = "SEND";

    /// <summary>Client: subscribe to a destination.</summary>
    public const string Subscribe = "SUBSCRIBE";

    /// <summary>Client: end a subscription.</summary>
    public const string Unsubscribe = "UNSUBSCRIBE";

    /// <summary>Client: acknowledge a message.</summary>
    public const string Ack = "ACK";

    /// <summary>Client: reject a message (1.1+).</summary>
    public const string Nack = "NACK";

    /// <summary>Client: start a transaction.</summary>
    public const string Begin = "BEGIN";

    /// <summary>Client: commit a transaction.</summary>
    public const string Commit = "COMMIT";

    /// <summary>Client: roll back a transaction.</summary>
    public const string Abort = "ABORT";

    /// <summary>Client: close the session gracefully.</summary>
    public const string Disconnect = "DISCONNECT";

    /// <summary>Server: the session is open.</summary>
    public const string Connected = "CONNECTED";

    /// <summary>Server: a message of a subscription.</summary>
    public const string Message = "MESSAGE";

    /// <summary>Server: a frame carrying a <c>receipt</c> header was processed.</summary>
    public const string Receipt = "RECEIPT";

    /// <summary>Server: something went wrong; the server closes the connection after it.</summary>
    public const string Error = "ERROR";

    /// <summary>
    /// Whether header escaping is off for this command in every version: CONNECT and
    /// CONNECTED (and STOMP, which is CONNECT by another name) stay backward compatible with 1.0.
    /// </summary>
    /// <param name="command">A command name.</param>
    public static bool IsConnectionHandshake(string command) =>
        command is Connect or Connected or Stomp;

    /// <summary>
    /// Finds the command named by <paramref name="name"/> among those the peer may send,
    /// returning the shared string instance.
    /// </summary>
    internal static bool TryMatch(ReadOnlySpan<byte> name, FrameSource source, out string command)
    {
        command = source == FrameSource.Server ? MatchServer(name) ?? string.Empty : MatchClient(name) ?? string.Empty;
        return command.Length != 0;
    }

    private static string? MatchServer(ReadOnlySpan<byte> name) => name.Length switch
    {
        5 when name.SequenceEqual("ERROR"u8) => Error,
        7 when name.SequenceEqual("MESSAGE"u8) => Message,
        7 when name.SequenceEqual("RECEIPT"u8) => Receipt,
        9 when name.SequenceEqual("CONNECTED"u8) => Connected,
        _ => null,
    };

    private static string? MatchClient(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when name.SequenceEqual("ACK"u8) => Ack,
        4 when name.SequenceEqual("SEND"u8) => Send,
        4 when name.SequenceEqual("NACK"u8) => Nack,
        5 when name.SequenceEqual("STOMP"u8) => Stomp,
        5 when name.SequenceEqual("BEGIN"u8) => Begin,
        5 when name.SequenceEqual("ABORT"u8) => Abort,
        6 when name.SequenceEqual("COMMIT"u8) => Commit,
        7 when name.SequenceEqual("CONNECT"u8) => Connect,
        9 when name.SequenceEqual("SUBSCRIBE"u8) => Subscribe,
        10 when name.SequenceEqual("DISCONNECT"u8) => Disconnect,
        11 when name.SequenceEqual("UNSUBSCRIBE"u8) => Unsubscribe,
        _ => null,
    };
}
