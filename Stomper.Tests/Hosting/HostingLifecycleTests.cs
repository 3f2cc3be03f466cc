using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Hosting;
using Stomper.Testing;

namespace Stomper.Tests.Hosting;

/// <summary>Clients started and stopped with the host, named ones apart, and disposed with the container.</summary>
public sealed class HostingLifecycleTests : HostingFixture
{
    [Test]
    public async Task The_host_start_waits_for_CONNECTED_and_its_stop_disconnects_and_disposes_the_client()
    {
        var broker = H.Broker();
        var host = H.OrdersHost(HostingHarness.Single(broker));

        await host.StartAsync();
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        Assert.That(client.IsConnected, Is.True, "connected before StartAsync returned");
        Assert.That(broker.FramesReceived("CONNECT"), Is.EqualTo(1));

        await host.StopAsync();

        broker.WaitForFrame("DISCONNECT");
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.SendAsync("/queue/a", "late").AsTask());
    }

    [Test]
    public async Task Without_WaitForConnected_the_host_starts_while_the_client_connects_on_its_own()
    {
        var broker = H.Broker();
        broker.GoSilent();
        var host = H.OrdersHost(HostingHarness.Single(broker, ("Stomper:Orders:WaitForConnected", "false")));

        await host.StartAsync();
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");

        Assert.That(client.IsConnected, Is.False);
        broker.Resume();
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public async Task A_broker_that_is_down_at_start_stops_the_host_with_the_connect_error()
    {
        var broker = H.Broker();
        broker.Kill();
        var host = H.OrdersHost(HostingHarness.Single(broker));

        var error = Assert.ThrowsAsync<StompException>(() => host.StartAsync());

        Assert.That(error!.Code, Is.EqualTo(ErrorCode.E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to {broker.Host}:{broker.Port}: "));
        await host.StopAsync();
    }

    [Test]
    public async Task A_broker_that_is_down_at_start_without_WaitForConnected_leaves_the_host_running_and_unhealthy()
    {
        var broker = H.Broker();
        broker.Kill();
        var host = H.OrdersHost(HostingHarness.Single(broker, ("Stomper:Orders:WaitForConnected", "false")));

        await host.StartAsync();
        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy));
        broker.Revive();
        Assert.That((await HostingHarness.HealthAsync(host)).Status, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy), "reachable again, and it connects on its next command");
    }

    [Test]
    public async Task Stopping_the_host_while_the_client_waits_for_CONNECTED_ends_the_start_and_disposes_the_client()
    {
        var broker = H.Broker();
        broker.GoSilent();
        var host = H.OrdersHost(HostingHarness.Single(broker));

        var starting = host.StartAsync();
        broker.WaitForFrame("CONNECT");
        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        Assert.That(async () => await starting, Throws.InstanceOf<OperationCanceledException>());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StopAsync(stop.Token);
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
    }

    [Test]
    public async Task A_stop_whose_DISCONNECT_is_never_answered_ends_within_the_shutdown_timeout()
    {
        var broker = H.Broker();
        var host = H.OrdersHost(HostingHarness.Single(broker));
        await host.StartAsync();
        broker.GoSilent();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await host.StopAsync(stop.Token);

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
    }

    [Test]
    public async Task Named_clients_are_resolved_separately_each_to_its_own_broker()
    {
        var orders = H.Broker();
        var audit = H.Broker();
        var settings = new Dictionary<string, string?>
        {
            ["Stomper:Orders:Port"] = orders.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Stomper:Orders:Host"] = orders.Host,
            ["Stomper:Audit:Port"] = audit.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Stomper:Audit:Host"] = audit.Host,
            ["Stomper:Audit:Login"] = "auditor",
        };
        var host = H.Host(settings, (services, configuration) =>
        {
            services.AddStomper("orders", configuration.GetSection("Stomper:Orders"));
            services.AddStomper("audit", configuration.GetSection("Stomper:Audit"));
        });

        await host.StartAsync();
        var clients = host.Services.GetRequiredService<StomperClients>();
        var ordersClient = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        var auditClient = host.Services.GetRequiredKeyedService<AsyncStomperClient>("audit");

        Assert.That(ordersClient, Is.Not.SameAs(auditClient));
        Assert.That(clients.Get("orders"), Is.SameAs(ordersClient));
        Assert.That(clients.Get("audit"), Is.SameAs(auditClient));
        Assert.That(clients.Names, Is.EqualTo(new[] { "orders", "audit" }));
        Assert.That(audit.WaitForFrame("CONNECT").Frame.Headers["login"], Is.EqualTo("auditor"));
        Assert.That(orders.WaitForFrame("CONNECT").Frame.Headers["login"], Is.Null);
        await auditClient.SendAsync("/queue/audit", "one");
        audit.WaitForFrame("SEND");
        Assert.That(orders.FramesReceived("SEND"), Is.Zero);
        var unknown = Assert.Throws<InvalidOperationException>(() => clients.Get("billing"));
        Assert.That(unknown!.Message, Is.EqualTo("No Stomper client named \"billing\" is registered: call services.AddStomper(\"billing\", configuration) first"));
    }

    [Test]
    public async Task The_unnamed_client_is_injected_as_AsyncStomperClient()
    {
        var broker = H.Broker();
        var host = H.Host(
            new Dictionary<string, string?> { ["Stomper:Host"] = broker.Host, ["Stomper:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            (services, configuration) => services.AddStomper(configuration.GetSection("Stomper")));

        await host.StartAsync();

        Assert.That(host.Services.GetRequiredService<AsyncStomperClient>().IsConnected, Is.True);
        Assert.That(host.Services.GetRequiredService<StomperClients>().Get(""), Is.SameAs(host.Services.GetRequiredService<AsyncStomperClient>()));
    }

    [Test]
    public async Task The_unnamed_client_is_one_registration_resolved_the_same_every_way_and_disposed_with_the_container()
    {
        // The container disposes what each registration's factory returns: a second
        // registration of the same client would have it disposed twice.
        var broker = H.Broker();
        var services = new ServiceCollection();
        services.AddStomper(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Stomper:Host"] = broker.Host,
            ["Stomper:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build().GetSection("Stomper"));
        services.AddLogging();
        services.AddHealthChecks().AddStomper();
        var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<AsyncStomperClient>();
        var hosted = provider.GetServices<IHostedService>().OfType<StomperHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);

        Assert.That(services.Count(d => d.ServiceType == typeof(AsyncStomperClient)), Is.EqualTo(1));
        Assert.That(provider.GetRequiredService<StomperClients>().Get(""), Is.SameAs(client));
        Assert.That(provider.GetRequiredService<AsyncStomperClient>(), Is.SameAs(client));
        Assert.That(client.IsConnected, Is.True, "the hosted service started the same client");
        var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.That(health.Status, Is.EqualTo(HealthStatus.Healthy), "the health check watches the same, connected client");

        await provider.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
        broker.WaitFor(b => b.Connections.All(c => !c.IsOpen), "the connection closed");
    }

    [Test]
    public void A_name_registered_twice_is_refused()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();
        services.AddStomper("orders", configuration);

        var error = Assert.Throws<ArgumentException>(() => services.AddStomper("orders", configuration));

        Assert.That(error!.Message, Is.EqualTo("A Stomper client named \"orders\" is already registered"));
    }

    [Test]
    public async Task Disposing_the_container_disposes_a_client_the_host_never_started()
    {
        var broker = H.Broker();
        var services = new ServiceCollection();
        services.AddStomper("orders", new ConfigurationBuilder().AddInMemoryCollection(HostingHarness.Single(broker)).Build().GetSection("Stomper:Orders"));
        var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredKeyedService<AsyncStomperClient>("orders");
        await client.ConnectAsync();

        await provider.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
        broker.WaitFor(b => b.Connections.All(c => !c.IsOpen), "the connection closed");
    }
}
