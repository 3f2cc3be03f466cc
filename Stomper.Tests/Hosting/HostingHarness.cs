using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Stomper.Hosting;
using Stomper.Testing;

namespace Stomper.Tests.Hosting;

/// <summary>Hosts built from in-memory configuration over fake brokers on loopback, all torn down after each test.</summary>
internal sealed class HostingHarness : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private readonly List<FakeBroker> _brokers = [];

    public FakeBroker Broker(FakeBrokerOptions? options = null)
    {
        var broker = new FakeBroker(options).Start();
        _brokers.Add(broker);
        return broker;
    }

    /// <summary>A host whose configuration is <paramref name="settings"/> and whose services <paramref name="configure"/> adds to.</summary>
    public IHost Host(IDictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> configure)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        configure(builder.Services, builder.Configuration);
        var host = builder.Build();
        _hosts.Add(host);
        return host;
    }

    /// <summary>A host with one client named "orders" under <c>Stomper:Orders</c>, and its health check.</summary>
    public IHost OrdersHost(IDictionary<string, string?> settings) => Host(settings, (services, configuration) =>
    {
        services.AddStomper("orders", configuration.GetSection("Stomper:Orders"));
        services.AddHealthChecks().AddStomper("orders");
    });

    public static Dictionary<string, string?> Single(FakeBroker broker, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Stomper:Orders:Host"] = broker.Host,
            ["Stomper:Orders:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Stomper:Orders:HealthProbeTimeout"] = "1",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static Dictionary<string, string?> Cluster(params FakeBroker[] brokers)
    {
        var settings = new Dictionary<string, string?> { ["Stomper:Orders:HealthProbeTimeout"] = "1" };
        for (var i = 0; i < brokers.Length; i++)
        {
            settings[$"Stomper:Orders:Nodes:{i}"] = $"{brokers[i].Host}:{brokers[i].Port}";
        }

        return settings;
    }

    public static async Task<HealthReportEntry> HealthAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["stomper-orders"];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await host.StopAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // A host whose start failed, or one a test stopped already.
            }

            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        _brokers.ForEach(b => b.Dispose());
    }
}
