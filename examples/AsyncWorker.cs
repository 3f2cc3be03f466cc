using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stomper.Async;

namespace Stomper.Examples;

/// <summary>
/// A worker service: a <see cref="BackgroundService"/> that consumes a queue with
/// <c>client-individual</c> acks, acknowledging each message once handled, and stops
/// cleanly on SIGTERM (or Ctrl+C): the host cancels <c>stoppingToken</c>, the loop ends,
/// the subscription is taken back (UNSUBSCRIBE) and the session closed (DISCONNECT).
/// A message not acknowledged by then is delivered again by the broker, to this worker's
/// next run or to another one.
/// </summary>
internal static partial class AsyncWorker
{
    public static async Task Run(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddSingleton(_ => new AsyncStomperClient(new()
        {
            Client = new()
            {
                Host = Settings.Server.Host,
                Port = Settings.Server.Port,
                Login = Settings.Login,
                Passcode = Settings.Passcode,
                Heartbeat = [5000, 5000],
                ReconnectInterval = 1,
            },
            MessageBufferSize = 100,                 // with BrokerPrefetch (on by default): at most 100 unacknowledged messages from the broker
        }));
        builder.Services.AddHostedService<QueueWorker>();
        await builder.Build().RunAsync();
    }

    /// <summary>Takes each message of /queue/work, handles it, and acknowledges it.</summary>
    private sealed partial class QueueWorker(AsyncStomperClient stomper, ILogger<QueueWorker> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await stomper.ConnectAsync(stoppingToken);
            await using var subscription = await stomper.SubscribeAsync(
                new() { ["destination"] = "/queue/work", ["ack"] = "client-individual" }, stoppingToken);
            try
            {
                await foreach (var message in subscription.WithCancellation(stoppingToken))
                {
                    Handled(logger, message.Headers["message-id"], message.Body);
                    await stomper.AckAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // SIGTERM: stop taking messages; the unacknowledged ones go back to the broker.
            }
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken);
            try
            {
                await stomper.DisconnectAsync(cancellationToken);
            }
            catch (StompException e)
            {
                // The broker went first: nothing is left to close gracefully.
                Closing(logger, e.Message);
            }

            await stomper.DisposeAsync();
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "DISCONNECT failed: {Reason}")]
        private static partial void Closing(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Handled {MessageId}: {Body}")]
        private static partial void Handled(ILogger logger, string? messageId, string body);
    }
}
