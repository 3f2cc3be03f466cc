using System.Diagnostics.Metrics;
using EventLoop;
using Microsoft.Extensions.Logging;
using Stomper.Async;
using Stomper.Cluster;

namespace Stomper.Hosting;

/// <summary>Turns checked configuration into the options of the callback and async faces.</summary>
internal static class StomperOptionsMapping
{
    public static AsyncStomperOptions ToAsyncOptions(StomperServiceOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        var handleParams = ToHandleParams(options);
        var frameLimits = ToFrameLimits(options.FrameLimits);
        var defaultHeaders = options.DefaultHeaders is { } defaults ? new Dictionary<string, string>(defaults, StringComparer.Ordinal) : null;
        var commandHeaders = options.CommandHeaders?.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(kv.Value, StringComparer.Ordinal),
            StringComparer.Ordinal);
        if (options.Nodes is { Length: > 0 } nodes)
        {
            return new AsyncStomperOptions
            {
                Cluster = new ClusterOptions
                {
                    Nodes = [.. nodes.Select(n => NodeAddress.TryParse(n, out var node) ? node : throw new FormatException(n))],
                    Login = options.Login,
                    Passcode = options.Passcode,
                    Vhost = options.Vhost,
                    Heartbeat = options.Heartbeat,
                    ConnectionTimeout = options.ConnectionTimeout,
                    ReconnectInterval = options.ReconnectInterval,
                    ReceiptTimeout = Seconds(options.ReceiptTimeout),
                    ReconnectPolicy = ToReconnectPolicy(options.ReconnectPolicy),
                    HandleParams = handleParams,
                    DefaultHeaders = defaultHeaders,
                    CommandHeaders = commandHeaders,
                    FrameLimits = frameLimits,
                    LoggerFactory = loggerFactory,
                    MeterFactory = meterFactory,
                },
                MessageBufferSize = options.MessageBufferSize,
                MessageBufferLimit = options.MessageBufferLimit,
                BrokerPrefetch = options.BrokerPrefetch,
            };
        }

        return new AsyncStomperOptions
        {
            Client = ToClientOptions(options, handleParams, frameLimits, defaultHeaders, commandHeaders, loggerFactory, meterFactory),
            MessageBufferSize = options.MessageBufferSize,
            MessageBufferLimit = options.MessageBufferLimit,
            BrokerPrefetch = options.BrokerPrefetch,
        };
    }

    /// <summary>The single-node options the configuration stands for (a cluster's first node for one), for the client's own checks.</summary>
    public static StomperOptions ToClientOptions(StomperServiceOptions options) =>
        ToClientOptions(options, ToHandleParams(options), ToFrameLimits(options.FrameLimits), options.DefaultHeaders, null, null, null);

    private static StomperOptions ToClientOptions(
        StomperServiceOptions options,
        HandleParams? handleParams,
        FrameLimits? frameLimits,
        IReadOnlyDictionary<string, string>? defaultHeaders,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? commandHeaders,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory)
    {
        var host = options.Host ?? "localhost";
        var port = options.Port ?? 61613;
        if (options.Nodes is { Length: > 0 } nodes && NodeAddress.TryParse(nodes[0], out var first))
        {
            (host, port) = (first.Host, first.Port);
        }

        return new StomperOptions
        {
            Host = host,
            Port = port,
            Login = options.Login,
            Passcode = options.Passcode,
            Vhost = options.Vhost,
            Heartbeat = options.Heartbeat,
            ConnectionTimeout = options.ConnectionTimeout,
            ReconnectInterval = options.ReconnectInterval,
            ReceiptTimeout = Seconds(options.ReceiptTimeout),
            Lazy = options.Lazy,
            HandleParams = handleParams,
            DefaultHeaders = defaultHeaders,
            CommandHeaders = commandHeaders,
            FrameLimits = frameLimits,
            LoggerFactory = loggerFactory,
            MeterFactory = meterFactory,
        };
    }

    /// <summary>The policy the settings stand for; null when there are none.</summary>
    public static ReconnectPolicy? ToReconnectPolicy(StomperReconnectSettings? settings)
    {
        if (settings is null)
        {
            return null;
        }

        var defaults = new ReconnectPolicy();
        return new ReconnectPolicy
        {
            BaseDelay = Seconds(settings.BaseDelay) ?? defaults.BaseDelay,
            Multiplier = settings.Multiplier ?? defaults.Multiplier,
            MaxDelay = Seconds(settings.MaxDelay) ?? defaults.MaxDelay,
            MaxAttempts = settings.MaxAttempts,
            MaxWaitingCommands = settings.MaxWaitingCommands ?? defaults.MaxWaitingCommands,
        };
    }

    /// <summary>Configured seconds as a duration; a value no duration holds (checked before) saturates rather than throws.</summary>
    private static TimeSpan? Seconds(double? seconds) => seconds switch
    {
        null => null,
        var s when double.IsNaN(s.Value) || s < 0 => TimeSpan.FromTicks(-1),
        var s when s >= TimeSpan.MaxValue.TotalSeconds => TimeSpan.MaxValue,
        var s => TimeSpan.FromSeconds(s.Value),
    };

    private static HandleParams? ToHandleParams(StomperServiceOptions options)
    {
        var handle = options.Handle;
        var tls = options.Tls is { Enabled: true } on ? on : null;
        if (handle is null && tls is null)
        {
            return null;
        }

        var defaults = new HandleParams();
        return new HandleParams
        {
            Autocork = handle?.Autocork ?? false,
            NoDelay = handle?.NoDelay ?? false,
            KeepAlive = handle?.KeepAlive ?? false,
            Linger = handle?.Linger ?? defaults.Linger,
            ReadSize = handle?.ReadSize ?? defaults.ReadSize,
            WbufMax = handle?.WbufMax ?? defaults.WbufMax,
            Tls = tls is null ? TlsMode.None : TlsMode.Connect,
            Peername = tls?.PeerName,
            TlsCtx = tls is null ? null : new TlsContext
            {
                Verify = tls.Verify,
                VerifyPeername = tls.VerifyPeername,
                CaFile = tls.CaFile,
                CaPath = tls.CaPath,
                CertFile = tls.CertFile,
                KeyFile = tls.KeyFile,
                Passwd = tls.KeyPassword,
                Protocols = tls.Protocols,
            },
        };
    }

    private static FrameLimits? ToFrameLimits(StomperFrameLimitSettings? settings)
    {
        if (settings is null)
        {
            return null;
        }

        var defaults = FrameLimits.Default;
        return new FrameLimits
        {
            MaxFrameSize = settings.MaxFrameSize ?? defaults.MaxFrameSize,
            MaxHeaderCount = settings.MaxHeaderCount ?? defaults.MaxHeaderCount,
            MaxHeaderLineLength = settings.MaxHeaderLineLength ?? defaults.MaxHeaderLineLength,
            MaxCommandLineLength = settings.MaxCommandLineLength ?? defaults.MaxCommandLineLength,
        };
    }
}
