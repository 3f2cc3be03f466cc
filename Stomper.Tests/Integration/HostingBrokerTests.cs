using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Hosting;

namespace Stomper.Tests.Integration;

/// <summary>Stomper.Hosting against the real three-node RabbitMQ cluster: the health check through a node's death and return.</summary>
public sealed class HostingBrokerTests : BrokerFixture
{
    [Test]
    [CancelAfter(300_000)]
    public async Task The_health_check_is_degraded_after_a_node_is_killed_and_healthy_once_it_is_restarted()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Stomper:Orders:Login"] = Brokers.Login,
            ["Stomper:Orders:Passcode"] = Brokers.Passcode,
            ["Stomper:Orders:Heartbeat:0"] = "1000",
            ["Stomper:Orders:Heartbeat:1"] = "1000",
            ["Stomper:Orders:ConnectionTimeout"] = "5",
            ["Stomper:Orders:HealthProbeTimeout"] = "2",
        };
        for (var i = 0; i < Brokers.RabbitNodes.Count; i++)
        {
            settings[$"Stomper:Orders:Nodes:{i.ToString(CultureInfo.InvariantCulture)}"] = Brokers.RabbitNodes[i].ToString();
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddStomper("orders", builder.Configuration.GetSection("Stomper:Orders"));
        builder.Services.AddHealthChecks().AddStomper("orders");
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredKeyedService<AsyncStomperClient>("orders");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await client.SendAsync(new() { ["destination"] = $"/queue/stomper-hosting-{Guid.NewGuid():N}", ["receipt"] = "auto" });
        var active = (await client.GetNodeStatusAsync()).Single(n => n.IsActive);
        var victim = "rabbit" + (Brokers.RabbitNodes.ToList().FindIndex(n => n.Port == active.Port) + 1).ToString(CultureInfo.InvariantCulture);
        Assert.That((await health.CheckHealthAsync()).Entries["stomper-orders"].Status, Is.EqualTo(HealthStatus.Healthy));

        try
        {
            Brokers.Kill(victim);
            var degraded = await Until(health, HealthStatus.Degraded, TimeSpan.FromSeconds(30));
            Assert.That(degraded.Description, Does.StartWith($"2 of 3 nodes up: {active.Host}:{active.Port} unreachable: "));
            await client.SendAsync(new() { ["destination"] = $"/queue/stomper-hosting-{Guid.NewGuid():N}", ["receipt"] = "auto" });
            Assert.That((await client.GetNodeStatusAsync()).Single(n => n.IsActive).Port, Is.Not.EqualTo(active.Port), "failed over");
        }
        finally
        {
            Brokers.Restart(victim);
        }

        var healthy = await Until(health, HealthStatus.Healthy, TimeSpan.FromSeconds(60));
        Assert.That(healthy.Description, Is.EqualTo("3 of 3 nodes up"));
        await host.StopAsync();
    }

    private static async Task<HealthReportEntry> Until(HealthCheckService health, HealthStatus wanted, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var entry = (await health.CheckHealthAsync()).Entries["stomper-orders"];
            if (entry.Status == wanted || DateTime.UtcNow > deadline)
            {
                Assert.That(entry.Status, Is.EqualTo(wanted), entry.Description);
                return entry;
            }

            await Task.Delay(250);
        }
    }
}
