using System.Diagnostics.CodeAnalysis;

namespace Stomper;

/// <summary>
/// A STOMP protocol version, as negotiated by CONNECT's <c>accept-version</c> and
/// CONNECTED's <c>version</c> header. The values order the versions, so
/// <c>version &gt;= StompVersion.V1_1</c> reads like Perl's <c>$self-&gt;{_version} &gt; 1.0</c>.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "V1_0 reads as the version number; V10 would read as ten.")]
[SuppressMessage("Design", "CA1008:Enums should have zero value",
    Justification = "There is no version zero; the values order the versions.")]
public enum StompVersion
{
    /// <summary>STOMP 1.0: no header escaping. Also the rule before CONNECTED arrives.</summary>
    V1_0 = 10,

    /// <summary>STOMP 1.1: headers escape LF, colon and backslash.</summary>
    V1_1 = 11,

    /// <summary>STOMP 1.2: headers escape CR as well as the 1.1 set.</summary>
    V1_2 = 12,
}

/// <summary>Conversions between <see cref="StompVersion"/> and the header text (<c>1.0</c>, <c>1.1</c>, <c>1.2</c>).</summary>
public static class StompVersions
{
    /// <summary>The <c>accept-version</c> value of a client that speaks every version: <c>1.0,1.1,1.2</c>.</summary>
    public const string AcceptAll = "1.0,1.1,1.2";

    /// <summary>
    /// The WebSocket subprotocols of the versions in <see cref="AcceptAll"/>, newest first
    /// (<c>v12.stomp</c>, <c>v11.stomp</c>, <c>v10.stomp</c>): what a client offers in its
    /// upgrade request unless <see cref="EventLoop.WebSocketOptions.Subprotocols"/> says otherwise.
    /// </summary>
    public static IReadOnlyList<string> Subprotocols { get; } = ["v12.stomp", "v11.stomp", "v10.stomp"];

    /// <summary>
    /// Reads CONNECTED's <c>version</c> header. An absent header means 1.0, as in the
    /// specification and in Perl's <c>$headers-&gt;{version} || 1.0</c>.
    /// </summary>
    /// <param name="headerValue">The header's value, or <see langword="null"/> when absent.</param>
    /// <param name="version">The version named, when the result is <see langword="true"/>.</param>
    /// <returns><see langword="false"/> for a version this library does not speak.</returns>
    public static bool TryParse(string? headerValue, out StompVersion version)
    {
        switch (headerValue)
        {
            case null or "" or "1.0":
                version = StompVersion.V1_0;
                return true;
            case "1.1":
                version = StompVersion.V1_1;
                return true;
            case "1.2":
                version = StompVersion.V1_2;
                return true;
            default:
                version = StompVersion.V1_0;
                return false;
        }
    }

    /// <summary>The header text of a version: <c>1.0</c>, <c>1.1</c> or <c>1.2</c>.</summary>
    /// <param name="version">The version.</param>
    public static string ToHeaderValue(this StompVersion version) => version switch
    {
        StompVersion.V1_0 => "1.0",
        StompVersion.V1_1 => "1.1",
        StompVersion.V1_2 => "1.2",
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, null),
    };
}
