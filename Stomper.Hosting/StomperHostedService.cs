using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>
/// Runs one registered client with the host: makes it at the start (a single server then
/// starts connecting) and, unless told not to, waits for CONNECTED; at the stop closes the
/// session (DISCONNECT, within the host's shutdown timeout) and disposes the client.
/// </summary>
internal sealed partial class StomperHostedService(string name, IServiceProvider services) : IHostedService
{
    private readonly ILogger _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Stomper.Hosting") ?? NullLogger.Instance;
    private AsyncStomperClient? _client;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptionsMonitor<StomperServiceOptions>>().Get(name);
        _client = StomperRegistry.Client(services, name);
        if (options.WaitForConnected && !_client.IsCluster)
        {
            // Cancelled when the host gives up starting (its token) or is stopped meanwhile:
            // the client is then disposed by StopAsync or with the container.
            await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        Started(_logger, name, _client.IsConnected);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_client is not { } client)
        {
            return;
        }

        try
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is StompException or OperationCanceledException or ObjectDisposedException)
        {
            // The broker went first, or the shutdown timeout ran out: close at once instead.
            DisconnectFailed(_logger, name, e.Message);
        }
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        Stopped(_logger, name);
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Stomper client \"{Name}\" started (connected: {Connected})")]
    private static partial void Started(ILogger logger, string name, bool connected);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Stomper client \"{Name}\" could not close its session gracefully: {Reason}")]
    private static partial void DisconnectFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "Stomper client \"{Name}\" stopped")]
    private static partial void Stopped(ILogger logger, string name);
}
