using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>Adds the health of registered Stomper clients to the host's health checks.</summary>
public static class StomperHealthChecksBuilderExtensions
{
    /// <summary>
    /// A <see cref="StomperHealthCheck"/> of the client registered under <paramref name="name"/>
    /// (<c>services.AddHealthChecks().AddStomper("orders")</c>; the unnamed client by default),
    /// registered as <paramref name="checkName"/> (default <c>stomper</c>, or
    /// <c>stomper-&lt;name&gt;</c>). <paramref name="failureStatus"/> is what "no node
    /// reachable" reports (default Unhealthy).
    /// </summary>
    public static IHealthChecksBuilder AddStomper(
        this IHealthChecksBuilder builder,
        string name = "",
        string? checkName = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        return builder.Add(new HealthCheckRegistration(
            checkName ?? (name.Length == 0 ? "stomper" : $"stomper-{name}"),
            provider => new StomperHealthCheck(
                StomperRegistry.Client(provider, name),
                TimeSpan.FromSeconds(provider.GetRequiredService<IOptionsMonitor<StomperServiceOptions>>().Get(name).HealthProbeTimeout)),
            failureStatus,
            tags,
            timeout));
    }
}
