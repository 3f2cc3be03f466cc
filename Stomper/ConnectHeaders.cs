namespace Stomper;

/// <summary>
/// What the next CONNECT frame will carry, handed to <see cref="StomperOptions.OnBeforeConnect"/>
/// (and the cluster's) before each login, to change: fresh credentials, a token, a header a
/// broker wants. Each login starts again from the options' <c>login</c>, <c>passcode</c> and
/// <c>vhost</c>, with no extra headers.
/// </summary>
public sealed class ConnectHeaders
{
    internal ConnectHeaders(string host, int port, string? login, string? passcode, string? vhost)
    {
        Host = host;
        Port = port;
        Login = login;
        Passcode = passcode;
        Vhost = vhost;
    }

    /// <summary>The server this login is for (for a cluster, the node).</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>CONNECT's <c>login</c>; null leaves it out. No line breaks: CONNECT is never escaped.</summary>
    public string? Login { get; set; }

    /// <summary>CONNECT's <c>passcode</c>; null leaves it out. No line breaks.</summary>
    public string? Passcode { get; set; }

    /// <summary>CONNECT's <c>host</c> header (the virtual host); null leaves it out. No line breaks.</summary>
    public string? Vhost { get; set; }

    /// <summary>
    /// Further CONNECT headers, written after the client's own, in the order added. Not
    /// <c>accept-version</c>, <c>heart-beat</c>, <c>content-length</c>, <c>login</c>,
    /// <c>passcode</c> or <c>host</c> (the client writes those), and no line break or, in a
    /// name, colon (CONNECT cannot escape them): the login fails with
    /// <see cref="ErrorCode.E_CANT_CONN"/> instead.
    /// </summary>
    public IDictionary<string, string> Extra { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
