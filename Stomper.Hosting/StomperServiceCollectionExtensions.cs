using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>
/// Registers Stomper clients in a service collection: each one an
/// <see cref="AsyncStomperClient"/> singleton made from configuration, connected when the
/// host starts and closed when it stops.
/// </summary>
public static class StomperServiceCollectionExtensions
{
    /// <summary>
    /// The one unnamed client: <see cref="AsyncStomperClient"/> injected as it is
    /// (<c>services.AddStomper(builder.Configuration.GetSection("Stomper"))</c>), not keyed;
    /// <see cref="StomperClients"/> finds it under the empty name.
    /// </summary>
    public static IServiceCollection AddStomper(this IServiceCollection services, IConfiguration configuration) =>
        services.AddStomper(Options.DefaultName, configuration);

    /// <summary>
    /// A named client (<c>services.AddStomper("orders", configuration.GetSection("Stomper:Orders"))</c>):
    /// a keyed service under its name (<c>[FromKeyedServices("orders")] AsyncStomperClient</c>),
    /// also found through <see cref="StomperClients"/>. The empty name is the unnamed client,
    /// registered unkeyed only, as <see cref="AddStomper(IServiceCollection, IConfiguration)"/> does. Its options are bound from
    /// <paramref name="configuration"/> (an unknown key is an error, so a misspelt one is not
    /// ignored) and checked when the host starts; the client is made on first use or at
    /// the host's start, with the host's <see cref="ILoggerFactory"/> and
    /// <see cref="IMeterFactory"/>. Register it before the hosted services that use it, so
    /// it is started before them and stopped after them.
    /// </summary>
    /// <exception cref="ArgumentException">A client of that name is registered already.</exception>
    public static IServiceCollection AddStomper(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration is IConfigurationSection section ? section.Path : string.Empty;
        return services.AddStomper(name, path, builder => builder.Bind(configuration, binder => binder.ErrorOnUnknownConfiguration = true));
    }

    /// <summary>A named client configured in code rather than from configuration; checked at the host's start all the same (errors name <c>Stomper:&lt;name&gt;</c>). The empty name is the unnamed client, unkeyed.</summary>
    /// <exception cref="ArgumentException">A client of that name is registered already.</exception>
    public static IServiceCollection AddStomper(this IServiceCollection services, string name, Action<StomperServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddStomper(name, name.Length == 0 ? "Stomper" : $"Stomper:{name}", builder => builder.Configure(configure));
    }

    /// <summary>What the client registered under <paramref name="name"/> is made from: its checked options, and the container's logger and meter factories.</summary>
    internal static AsyncStomperOptions ClientOptions(IServiceProvider provider, string name) => StomperOptionsMapping.ToAsyncOptions(
        provider.GetRequiredService<IOptionsMonitor<StomperServiceOptions>>().Get(name),
        provider.GetService<ILoggerFactory>(),
        provider.GetService<IMeterFactory>());

    private static IServiceCollection AddStomper(this IServiceCollection services, string name, string path, Action<OptionsBuilder<StomperServiceOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        var registry = services.FirstOrDefault(d => d.ServiceType == typeof(StomperRegistry))?.ImplementationInstance as StomperRegistry;
        if (registry is null)
        {
            registry = new StomperRegistry();
            services.AddSingleton(registry);
            var names = registry;
            services.TryAddSingleton(provider => new StomperClients(provider, names));
        }

        if (!registry.Add(name))
        {
            throw Errors.HostingNameTaken(name);
        }

        var options = services.AddOptions<StomperServiceOptions>(name);
        configure(options);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<StomperServiceOptions>>(new StomperServiceOptionsValidator(name, path));
        // One registration per client: the container disposes what every registration's
        // factory returns, so the unnamed client, keyed as well, would be disposed twice.
        if (name.Length == 0)
        {
            services.AddSingleton(provider => new AsyncStomperClient(ClientOptions(provider, name)));
        }
        else
        {
            services.AddKeyedSingleton(name, (provider, _) => new AsyncStomperClient(ClientOptions(provider, name)));
        }

        // AddHostedService would keep one per type; every client needs its own.
        services.AddSingleton<IHostedService>(provider => new StomperHostedService(name, provider));
        return services;
    }
}
