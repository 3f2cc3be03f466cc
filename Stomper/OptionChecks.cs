using EventLoop;
namespace Stomper;

/// <summary>
/// Every check of <see cref="StomperOptions"/> and <see cref="HandleParams"/>, made in the
/// client's constructor before anything starts: a bad value found later, inside a connect,
/// would leave a half-connected client that queues commands forever.
/// </summary>
internal static class OptionChecks
{
    /// <summary>Throws the first problem found, as an <see cref="ArgumentException"/> whose text is built in <see cref="Errors"/>.</summary>
    /// <returns>The heart-beat pair <c>[cx, cy]</c>, <c>[0, 0]</c> when none was given.</returns>
    public static (int Cx, int Cy) Check(StomperOptions options)
    {
        var heartbeat = options.Heartbeat ?? [0, 0];
        if (heartbeat.Length != 2)
        {
            throw Errors.HeartbeatNotArray();
        }

        if (heartbeat[0] < 0 || heartbeat[1] < 0)
        {
            throw Errors.HeartbeatNotIntegers();
        }

        if (options.CommandHeaders is { } commandHeaders && commandHeaders.Values.Any(headers => headers is null))
        {
            throw Errors.CommandHeadersNotHash();
        }

        if (!IsNonNegative(options.ConnectionTimeout))
        {
            throw Errors.ConnectionTimeoutNotPositive();
        }

        if (!IsNonNegative(options.ReconnectInterval))
        {
            throw Errors.ReconnectIntervalNotPositive();
        }

        ReceiptTimeoutSeconds(options.ReceiptTimeout, "ReceiptTimeout");
        if (options.Url is { } url)
        {
            if (!WebSocketTransport.IsWebSocketUrl(url))
            {
                throw Errors.UrlNotWebSocket(url);
            }

            if (options.HandleParams is { Tls: TlsMode.Accept } || (options.HandleParams is { Tls: TlsMode.Connect } && url.Scheme != Uri.UriSchemeWss))
            {
                throw Errors.UrlWithTlsMode(url);
            }
        }
        else if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw Errors.HostNotValid();
        }

        if (options.Port is < 1 or > 65535)
        {
            throw Errors.PortOutOfRange(options.Port);
        }

        CheckConnectHeader(options.Login, "login");
        CheckConnectHeader(options.Passcode, "passcode");
        CheckConnectHeader(options.Vhost, "vhost");
        if (options.HandleParams is { } handleParams)
        {
            Check(handleParams);
        }

        return (heartbeat[0], heartbeat[1]);
    }

    /// <summary>Perl's rule for intervals: any number from 0 up, or none.</summary>
    public static bool IsNonNegative(double? seconds) => seconds is not { } v || (!double.IsNaN(v) && v >= 0);

    /// <summary>
    /// A receipt timeout in seconds, 0 for none (null, zero or <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Any other negative duration.</exception>
    public static double ReceiptTimeoutSeconds(TimeSpan? timeout, string parameterName)
    {
        if (timeout is not { } value || value == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        return value >= TimeSpan.Zero ? value.TotalSeconds : throw Errors.ReceiptTimeoutNotValid(parameterName);
    }

    private static void Check(HandleParams handleParams)
    {
        if (handleParams.ReadSize <= 0)
        {
            throw Errors.NotPositiveInteger("read_size");
        }

        if (handleParams.WbufMax < 0)
        {
            throw Errors.WbufMaxNegative();
        }

        if (!IsNonNegative(handleParams.Linger))
        {
            throw Errors.NotPositiveNumber("linger");
        }

        if (handleParams.Tls is not (EventLoop.TlsMode.None or EventLoop.TlsMode.Connect))
        {
            throw Errors.TlsModeNotForClient(handleParams.Tls);
        }
    }

    // CONNECT is never escaped, so a line break would end the header early and let the
    // rest be read as another header.
    private static void CheckConnectHeader(string? value, string parameterName)
    {
        if (value is not null && value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw Errors.ConnectHeaderHasLineBreak(parameterName);
        }
    }
}
