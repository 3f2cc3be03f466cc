namespace Stomper.Testing;

/// <summary>What a <see cref="ScriptedStompServer"/> does with a frame that asks for a receipt.</summary>
public enum ReceiptMode
{
    /// <summary>Answers RECEIPT at once (the default), as a broker that accepted the frame does.</summary>
    Answer,

    /// <summary>Keeps the receipt back until <see cref="ScriptedStompServer.ReleaseReceipts"/> or <see cref="ScriptedConnection.ReleaseReceipts"/>: a slow broker.</summary>
    Hold,

    /// <summary>
    /// Refuses the frame, as a broker does: it takes no effect (a SUBSCRIBE subscribes
    /// nothing, an UNSUBSCRIBE ends nothing), and an ERROR whose <c>receipt-id</c> names it
    /// answers, followed by end-of-file unless <see cref="ScriptedStompServer.CloseAfterError"/> is off.
    /// </summary>
    Error,
}
