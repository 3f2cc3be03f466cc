namespace Stomper;

/// <summary>
/// Runs <see cref="StomperOptions.OnBeforeConnect"/> and checks what it left, so that a hook
/// that throws or asks for a header CONNECT cannot carry fails the login with a reason
/// instead of escaping into the loop or writing a broken frame.
/// </summary>
internal static class ConnectHook
{
    /// <summary>The headers the client writes on CONNECT itself.</summary>
    private static readonly string[] s_own = ["accept-version", "heart-beat", "content-length", "login", "passcode", "host"];

    /// <returns>Null when CONNECT can be written from <paramref name="connect"/>; otherwise the login's error.</returns>
    public static StompError? Run(Action<ConnectHeaders> hook, ConnectHeaders connect)
    {
        try
        {
            hook(connect);
        }
        catch (Exception e)
        {
            // The connection attempt is what failed; the cluster moves on to the next node
            // as for any other failed connect.
            return Errors.ConnectHookThrew(connect.Host, connect.Port, e);
        }

        if (Refusal(connect) is { } why)
        {
            return Errors.ConnectHookHeaderInvalid(connect.Host, connect.Port, why.Name, why.Reason);
        }

        return null;
    }

    private static (string Name, string Reason)? Refusal(ConnectHeaders connect)
    {
        if (HasLineBreak(connect.Login))
        {
            return ("login", Errors.ConnectHookLineBreak);
        }

        if (HasLineBreak(connect.Passcode))
        {
            return ("passcode", Errors.ConnectHookLineBreak);
        }

        if (HasLineBreak(connect.Vhost))
        {
            return ("host", Errors.ConnectHookLineBreak);
        }

        foreach (var (name, value) in connect.Extra)
        {
            if (name.Length == 0)
            {
                return (name, Errors.ConnectHookEmptyName);
            }

            if (Array.IndexOf(s_own, name) >= 0)
            {
                return (name, Errors.ConnectHookOwnHeader);
            }

            if (HasLineBreak(name) || HasLineBreak(value) || name.Contains(':', StringComparison.Ordinal))
            {
                return (name, name.Contains(':', StringComparison.Ordinal) ? Errors.ConnectHookColon : Errors.ConnectHookLineBreak);
            }
        }

        return null;
    }

    private static bool HasLineBreak(string? value) => value is not null && value.AsSpan().IndexOfAny('\r', '\n') >= 0;
}
