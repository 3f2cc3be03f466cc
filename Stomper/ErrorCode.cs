using System.Diagnostics.CodeAnalysis;

namespace Stomper;

/// <summary>
/// The kinds of failure a client reports, with the numeric values of
/// <c>AnyEvent::Stomper</c>'s <c>:err_codes</c> export tag.
/// </summary>
/// <remarks>
/// Perl's <c>use AnyEvent::Stomper qw( :err_codes );</c> becomes
/// <c>using static Stomper.ErrorCode;</c>, after which <c>E_IO</c>, <c>E_OPRN_ERROR</c>
/// and the rest read exactly as in Perl code: <c>if (err.Code == E_OPRN_ERROR) ...</c>.
/// </remarks>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "The names are the Perl constants, so ported code keeps reading the same.")]
[SuppressMessage("Design", "CA1008:Enums should have zero value",
    Justification = "The values are Perl's, which start at 1; there is no 'no error' code.")]
public enum ErrorCode
{
    /// <summary>Could not connect to the server; everything queued is aborted.</summary>
    E_CANT_CONN = 1,

    /// <summary>A socket error; the connection is closed and everything pending aborted.</summary>
    E_IO = 2,

    /// <summary>The server closed the connection (end of file on the socket).</summary>
    E_CONN_CLOSED_BY_REMOTE_HOST = 3,

    /// <summary>The client closed the connection before its commands completed.</summary>
    E_CONN_CLOSED_BY_CLIENT = 4,

    /// <summary>The operation failed: an ERROR frame answered it, or an unexpected ACK/NACK.</summary>
    E_OPRN_ERROR = 5,

    /// <summary>The server sent something the client cannot process (a malformed or unknown frame).</summary>
    E_UNEXPECTED_DATA = 6,

    /// <summary>Nothing was read within the read timeout derived from heart-beats.</summary>
    E_READ_TIMEDOUT = 7,

    /// <summary>
    /// Beyond the original: a command's RECEIPT did not come within its receipt timeout
    /// (<see cref="StomperOptions.ReceiptTimeout"/>, <see cref="CommandParams.ReceiptTimeout"/>).
    /// The client gives the connection up, as for <see cref="E_READ_TIMEDOUT"/>, and a cluster fails over.
    /// </summary>
    E_RECEIPT_TIMEDOUT = 8,

    /// <summary>
    /// Beyond the original: a cluster's send journal (<c>ClusterOptions.SendJournal</c>) is full
    /// by count or bytes, so the SEND was refused and never written anywhere
    /// (<see cref="StompError.MayHaveBeenDelivered"/> is false). The async face waits for room instead.
    /// </summary>
    E_SEND_JOURNAL_FULL = 9,
}
