using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Stomper.Async;
using Stomper.Hosting;

namespace Stomper.Examples;

/// <summary>
/// A worker service with everything a service in production has (docs/hosting.md): the
/// client configured from appsettings.json and the environment
/// (<c>Stomper__Work__Passcode=guest</c>, <c>Stomper__Work__Nodes__0=10.0.0.5:61613</c>),
/// started and stopped with the host, logs on the console, the client's metrics and
/// traces (the meter and activity source named "Stomper") on the console through
/// OpenTelemetry, and the health check at <c>http://127.0.0.1:5080/healthz</c>.
/// The worker consumes /queue/work with <c>client-individual</c> acks, acknowledging each
/// message once handled, while a second loop publishes a job every two seconds. On SIGTERM
/// (or Ctrl+C) the host cancels <c>stoppingToken</c>, the subscription is taken back
/// (UNSUBSCRIBE), and the hosting library closes the session (DISCONNECT) and the client.
/// A message not acknowledged by then is delivered again by the broker.
/// </summary>
internal static partial class AsyncWorker
{
    public static async Task Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        builder.Services.AddStomper("work", builder.Configuration.GetSection("Stomper:Work"));
        builder.Services.AddHealthChecks().AddStomper("work");
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("stomper-worker"))
            .WithTracing(tracing => tracing.AddSource(StomperDiagnostics.ActivitySourceName).AddConsoleExporter())
            .WithMetrics(metrics => metrics.AddMeter(StomperDiagnostics.MeterName).AddConsoleExporter());
        builder.Services.AddHostedService<QueueWorker>();

        var app = builder.Build();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteHealth });
        await app.RunAsync();
    }

    /// <summary>The status, what it means, and each node as the check saw it: one line each.</summary>
    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain";
        var lines = report.Entries.SelectMany(entry => new[] { $"{entry.Key}: {entry.Value.Status}: {entry.Value.Description}" }
            .Concat(entry.Value.Data.Select(node => $"  {node.Key}: {node.Value}")));
        return context.Response.WriteAsync($"{report.Status}\n{string.Join('\n', lines)}\n");
    }

    /// <summary>Publishes a job every two seconds, and takes each message of /queue/work, handles it, and acknowledges it.</summary>
    private sealed partial class QueueWorker([FromKeyedServices("work")] AsyncStomperClient stomper, ILogger<QueueWorker> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var publishing = PublishAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ConsumeAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // SIGTERM: stop taking messages; the unacknowledged ones go back to the broker.
                    break;
                }
                catch (StompException e)
                {
                    // Every node failed the subscription (the health check says so meanwhile).
                    Failed(logger, e.Message);
                }

                // Subscribe again in a while rather than end the worker; WhenAny ends the wait
                // at SIGTERM without throwing.
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(2), stoppingToken));
            }

            await publishing;
        }

        private async Task ConsumeAsync(CancellationToken stoppingToken)
        {
            await using var subscription = await stomper.SubscribeAsync(
                new() { ["destination"] = "/queue/work", ["ack"] = "client-individual" }, stoppingToken);
            await foreach (var message in subscription.WithCancellation(stoppingToken))
            {
                Handled(logger, message.Headers["message-id"], message.Body);
                await stomper.AckAsync(message, stoppingToken);
            }
        }

        private async Task PublishAsync(CancellationToken stoppingToken)
        {
            for (var job = 1; !stoppingToken.IsCancellationRequested; job++)
            {
                try
                {
                    await stomper.SendAsync(new() { ["destination"] = "/queue/work", Body = $"job {job}", ["receipt"] = "auto" }, stoppingToken);
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                }
                catch (StompException e)
                {
                    Failed(logger, e.Message);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Handled {MessageId}: {Body}")]
        private static partial void Handled(ILogger logger, string? messageId, string body);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason}")]
        private static partial void Failed(ILogger logger, string reason);
    }
}
