using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Hosting;
using Stomper.Testing;

namespace Stomper.Tests.Hosting;

/// <summary>The health check's three states, driven by fake brokers, and its rule for late heart-beats.</summary>
public sealed class HostingHealthTests : HostingFixture
{
    [Test]
    public async Task A_connected_single_server_with_fresh_heart_beats_is_healthy()
    {
        var broker = H.Broker(new FakeBrokerOptions { HeartBeatSend = 100, HeartBeatReceive = 100 });
        var host = H.OrdersHost(HostingHarness.Single(broker, ("Stomper:Orders:Heartbeat:0", "100"), ("Stomper:Orders:Heartbeat:1", "100")));
        await host.StartAsync();

        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Healthy), health.Description);
        Assert.That(health.Description, Is.EqualTo("1 of 1 nodes up"));
        Assert.That(health.Data[$"{broker.Host}:{broker.Port}"], Is.EqualTo("connected, active"));
    }

    [Test]
    public async Task A_cluster_whose_nodes_all_accept_is_healthy_before_any_command()
    {
        var brokers = new[] { H.Broker(), H.Broker(), H.Broker() };
        var host = H.OrdersHost(HostingHarness.Cluster(brokers));
        await host.StartAsync();

        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Healthy), health.Description);
        Assert.That(health.Data.Values, Is.All.EqualTo("not connected; accepts connections"));
    }

    [Test]
    public async Task A_cluster_with_one_of_three_nodes_down_is_degraded_and_healthy_again_once_it_is_back()
    {
        var brokers = new[] { H.Broker(), H.Broker(), H.Broker() };
        var host = H.OrdersHost(HostingHarness.Cluster(brokers));
        await host.StartAsync();
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" });
        var active = brokers.Single(b => b.FramesReceived("SEND") == 1);
        var failedOver = new TaskCompletionSource();
        client.NodeError += (_, _, _) => failedOver.TrySetResult();

        active.Kill();
        await failedOver.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Degraded), health.Description);
        Assert.That(health.Description, Does.StartWith($"2 of 3 nodes up: {active.Host}:{active.Port} unreachable: "));
        Assert.That((string)health.Data[$"{active.Host}:{active.Port}"], Does.StartWith("unreachable: "));
        active.Revive();
        Assert.That((await HostingHarness.HealthAsync(host)).Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public async Task A_cluster_with_every_node_down_is_unhealthy()
    {
        var brokers = new[] { H.Broker(), H.Broker(), H.Broker() };
        var host = H.OrdersHost(HostingHarness.Cluster(brokers));
        await host.StartAsync();
        foreach (var broker in brokers)
        {
            broker.Kill();
        }

        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Unhealthy), health.Description);
        Assert.That(health.Description, Does.StartWith("no node reachable: "));
        Assert.That(health.Data, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task A_node_that_accepts_nothing_within_the_probe_timeout_is_down()
    {
        var silent = H.Broker().SetAcceptMode(AcceptMode.Ignore);
        var host = H.OrdersHost(HostingHarness.Cluster(H.Broker(), silent));
        await host.StartAsync();

        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Degraded), health.Description);
        Assert.That(health.Data[$"{silent.Host}:{silent.Port}"], Is.EqualTo("unreachable: no answer within 1 s"));
    }

    [Test]
    public async Task A_closed_client_reports_the_failure_status()
    {
        var broker = H.Broker();
        var host = H.OrdersHost(HostingHarness.Single(broker));
        await host.StartAsync();
        await host.StopAsync();

        var health = await HostingHarness.HealthAsync(host);

        Assert.That(health.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(health.Description, Is.EqualTo("The Stomper client is closed"));
    }

    [Test]
    public async Task The_registrations_name_and_failure_status_are_used()
    {
        var broker = H.Broker();
        broker.Kill();
        var host = H.Host(HostingHarness.Single(broker, ("Stomper:Orders:WaitForConnected", "false")), (services, configuration) =>
        {
            services.AddStomper("orders", configuration.GetSection("Stomper:Orders"));
            services.AddHealthChecks().AddStomper("orders", checkName: "broker", failureStatus: HealthStatus.Degraded, tags: ["ready"]);
        });
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["broker"];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Tags, Is.EqualTo(new[] { "ready" }));
        Assert.That(entry.Description, Does.StartWith("no node reachable: "));
    }

    [Test]
    public void Heart_beats_silent_for_more_than_two_intervals_are_late_and_the_node_degraded()
    {
        var late = new StompNodeStatus("h", 1) { IsConnected = true, IsActive = true, Silence = TimeSpan.FromSeconds(2.1), ReadTimeout = TimeSpan.FromSeconds(3) };
        var fresh = late with { Silence = TimeSpan.FromSeconds(1.9) };
        var paused = late with { IsReadingPaused = true };
        var noBeats = late with { ReadTimeout = TimeSpan.Zero, Silence = TimeSpan.FromHours(1) };

        var verdicts = new[] { late, fresh, paused, noBeats }.Select(n => StomperHealthCheck.Judge(n, null)).ToArray();

        Assert.That(verdicts.Select(v => v.Health), Is.EqualTo(new[] { StomperHealthCheck.NodeHealth.Late, StomperHealthCheck.NodeHealth.Up, StomperHealthCheck.NodeHealth.Up, StomperHealthCheck.NodeHealth.Up }));
        Assert.That(verdicts[0].Seen, Is.EqualTo("connected; heart-beats late: silent for 2.1 s of 3 s allowed"));
        var single = StomperHealthCheck.Summarize([late], [verdicts[0]], HealthStatus.Unhealthy);
        Assert.That(single.Status, Is.EqualTo(HealthStatus.Degraded), "late is not yet dead: the read timeout decides that");
    }

    [Test]
    public void The_failure_status_given_at_registration_is_what_no_node_reachable_reports()
    {
        var down = new StompNodeStatus("h", 1);

        var result = StomperHealthCheck.Summarize([down], [StomperHealthCheck.Judge(down, "Connection refused")], HealthStatus.Degraded);

        Assert.That(result.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(result.Description, Is.EqualTo("no node reachable: h:1 unreachable: Connection refused"));
    }
}
