namespace Stomper.Tests.Client;

/// <summary>Options of a test's own on the harness's connection.</summary>
internal static class HarnessOptions
{
    /// <summary>
    /// <paramref name="own"/> with the harness's host, port, loop and transport: what a
    /// test changes goes in <paramref name="own"/>, and what it leaves out keeps the
    /// option's default, not the harness's (its trace callbacks are passed on by name).
    /// </summary>
    public static StomperOptions ConnectionWith(this StomperOptions harness, StomperOptions own) => new()
    {
        Host = harness.Host,
        Port = harness.Port,
        Loop = harness.Loop,
        Transport = harness.Transport,
        Login = own.Login,
        Passcode = own.Passcode,
        Vhost = own.Vhost,
        Heartbeat = own.Heartbeat,
        ConnectionTimeout = own.ConnectionTimeout,
        Lazy = own.Lazy,
        ReconnectInterval = own.ReconnectInterval,
        ReceiptTimeout = own.ReceiptTimeout,
        HandleParams = own.HandleParams,
        DefaultHeaders = own.DefaultHeaders,
        CommandHeaders = own.CommandHeaders,
        OnConnect = own.OnConnect,
        OnDisconnect = own.OnDisconnect,
        OnError = own.OnError,
        FrameLimits = own.FrameLimits,
        LoggerFactory = own.LoggerFactory,
        MeterFactory = own.MeterFactory,
        OnBeforeConnect = own.OnBeforeConnect,
    };
}
