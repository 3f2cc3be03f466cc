namespace Stomper;

/// <summary>Which side of the connection sent the frames a <see cref="FrameReader"/> parses.</summary>
public enum FrameSource
{
    /// <summary>
    /// Frames from a server: CONNECTED, MESSAGE, RECEIPT, ERROR. This is the client's
    /// reader; any other command is a protocol error.
    /// </summary>
    Server,

    /// <summary>
    /// Frames from a client: CONNECT, STOMP, SEND, SUBSCRIBE, UNSUBSCRIBE, ACK, NACK,
    /// BEGIN, COMMIT, ABORT, DISCONNECT. For a broker, such as the tests' fake one.
    /// </summary>
    Client,
}
