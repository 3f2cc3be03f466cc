namespace Stomper.Tests.Model;

/// <summary>Where one SUBSCRIBE call stands, as the application sees it from its callbacks.</summary>
internal enum SubscriptionState
{
    /// <summary>Issued, no answer yet.</summary>
    Pending,

    /// <summary>A RECEIPT came: the application holds it.</summary>
    Held,

    /// <summary>An UNSUBSCRIBE of it is on its way.</summary>
    Unsubscribing,

    /// <summary>
    /// Dropped by a close the application asked for (force_disconnect, or DISCONNECT of its
    /// session), or ended with its connection as an UNSUBSCRIBE that was not sent reported:
    /// no RECEIPT may follow, but one error may, the abort of a re-subscription that was on
    /// its way.
    /// </summary>
    Dropped,

    /// <summary>Over: failed, unsubscribed, or dropped by a close the application asked for. No callback may follow.</summary>
    Ended,
}

/// <summary>One SUBSCRIBE call of the application, with the session its last RECEIPT came from.</summary>
internal sealed class SubscriptionInstance(int token, string id, string destination, string ackMode)
{
    public int Token { get; } = token;

    public string Id { get; } = id;

    public string Destination { get; } = destination;

    public string AckMode { get; } = ackMode;

    public SubscriptionState State { get; set; }

    /// <summary>The broker session named by the last RECEIPT (its receipt-id is <c>R_&lt;session&gt;.&lt;n&gt;</c>).</summary>
    public string? Session { get; set; }

    public override string ToString() => $"{Id}#{Token}";
}
