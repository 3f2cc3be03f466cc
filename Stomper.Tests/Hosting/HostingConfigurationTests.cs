using System.Security.Authentication;
using EventLoop;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Moq;
using NUnit.Framework;
using Stomper.Hosting;

namespace Stomper.Tests.Hosting;

/// <summary>Options bound from configuration, and every bad value stopping the host with its key named.</summary>
public sealed class HostingConfigurationTests : HostingFixture
{
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("stomper-hosting-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Every_option_is_bound_from_configuration_and_reaches_the_clients_options()
    {
        var ca = Touch("ca.pem");
        var cert = Touch("client.pem");
        var key = Touch("client.key");
        var settings = new Dictionary<string, string?>
        {
            ["S:Nodes:0"] = "10.0.0.1:61613",
            ["S:Nodes:1"] = "[::1]:61614",
            ["S:Login"] = "guest",
            ["S:Passcode"] = "secret",
            ["S:Vhost"] = "/prod",
            ["S:Heartbeat:0"] = "5000",
            ["S:Heartbeat:1"] = "4000",
            ["S:ConnectionTimeout"] = "2.5",
            ["S:ReconnectInterval"] = "0.5",
            ["S:ReceiptTimeout"] = "4",
            ["S:ReconnectPolicy:BaseDelay"] = "0.2",
            ["S:ReconnectPolicy:Multiplier"] = "3",
            ["S:ReconnectPolicy:MaxDelay"] = "2",
            ["S:ReconnectPolicy:MaxAttempts"] = "12",
            ["S:ReconnectPolicy:MaxWaitingCommands"] = "50",
            ["S:Lazy"] = "true",
            ["S:DefaultHeaders:x-app"] = "orders",
            ["S:CommandHeaders:SEND:receipt"] = "auto",
            ["S:Handle:Autocork"] = "true",
            ["S:Handle:NoDelay"] = "true",
            ["S:Handle:KeepAlive"] = "true",
            ["S:Handle:Linger"] = "7",
            ["S:Handle:ReadSize"] = "4096",
            ["S:Handle:WbufMax"] = "1048576",
            ["S:Tls:Verify"] = "true",
            ["S:Tls:VerifyPeername"] = "false",
            ["S:Tls:PeerName"] = "broker.example",
            ["S:Tls:CaFile"] = ca,
            ["S:Tls:CaPath"] = _folder,
            ["S:Tls:CertFile"] = cert,
            ["S:Tls:KeyFile"] = key,
            ["S:Tls:KeyPassword"] = "pw",
            ["S:Tls:Protocols"] = "Tls12, Tls13",
            ["S:FrameLimits:MaxFrameSize"] = "1000000",
            ["S:FrameLimits:MaxHeaderCount"] = "50",
            ["S:FrameLimits:MaxHeaderLineLength"] = "2048",
            ["S:FrameLimits:MaxCommandLineLength"] = "64",
            ["S:MessageBufferSize"] = "250",
            ["S:MessageBufferLimit"] = "5000",
            ["S:BrokerPrefetch"] = "false",
            ["S:WaitForConnected"] = "false",
            ["S:HealthProbeTimeout"] = "0.75",
        };
        var host = H.Host(settings, (services, configuration) => services.AddStomper("s", configuration.GetSection("S")));

        var options = host.Services.GetRequiredService<IOptionsMonitor<StomperServiceOptions>>().Get("s");
        Assert.That(options.WaitForConnected, Is.False);
        Assert.That(options.HealthProbeTimeout, Is.EqualTo(0.75));
        var mapped = StomperOptionsMapping.ToAsyncOptions(options, null, null);
        var cluster = mapped.Cluster!;
        Assert.Multiple(() =>
        {
            Assert.That(mapped.Client, Is.Null);
            Assert.That(cluster.Nodes!.Select(n => $"{n.Host}/{n.Port}"), Is.EqualTo(new[] { "10.0.0.1/61613", "::1/61614" }));
            Assert.That((cluster.Login, cluster.Passcode, cluster.Vhost), Is.EqualTo(("guest", "secret", "/prod")));
            Assert.That(cluster.Heartbeat, Is.EqualTo(new[] { 5000, 4000 }));
            Assert.That((cluster.ConnectionTimeout, cluster.ReconnectInterval, cluster.ReceiptTimeout), Is.EqualTo((2.5, 0.5, TimeSpan.FromSeconds(4))));
            var policy = cluster.ReconnectPolicy!;
            Assert.That((policy.BaseDelay, policy.Multiplier, policy.MaxDelay, policy.MaxAttempts, policy.MaxWaitingCommands), Is.EqualTo((TimeSpan.FromSeconds(0.2), 3.0, TimeSpan.FromSeconds(2), (int?)12, 50)));
            Assert.That(cluster.DefaultHeaders!["x-app"], Is.EqualTo("orders"));
            Assert.That(cluster.CommandHeaders!["SEND"]["receipt"], Is.EqualTo("auto"));
            var handle = cluster.HandleParams!;
            Assert.That((handle.Autocork, handle.NoDelay, handle.KeepAlive, handle.Linger, handle.ReadSize, handle.WbufMax), Is.EqualTo((true, true, true, 7.0, 4096, 1048576)));
            Assert.That((handle.Tls, handle.Peername), Is.EqualTo((TlsMode.Connect, "broker.example")));
            var tls = handle.TlsCtx!;
            Assert.That((tls.Verify, tls.VerifyPeername, tls.CaFile, tls.CaPath, tls.CertFile, tls.KeyFile, tls.Passwd), Is.EqualTo((true, false, ca, _folder, cert, key, "pw")));
            Assert.That(tls.Protocols, Is.EqualTo(SslProtocols.Tls12 | SslProtocols.Tls13));
            var limits = cluster.FrameLimits!;
            Assert.That((limits.MaxFrameSize, limits.MaxHeaderCount, limits.MaxHeaderLineLength, limits.MaxCommandLineLength), Is.EqualTo((1000000, 50, 2048, 64)));
            Assert.That((mapped.MessageBufferSize, mapped.MessageBufferLimit, mapped.BrokerPrefetch), Is.EqualTo((250, (int?)5000, false)));
        });
    }

    [Test]
    public void A_single_server_takes_host_port_and_lazy_and_defaults_to_localhost_61613()
    {
        var host = H.Host(
            new Dictionary<string, string?> { ["A:Host"] = "mq.internal", ["A:Port"] = "61620", ["A:Lazy"] = "true" },
            (services, configuration) =>
            {
                services.AddStomper("a", configuration.GetSection("A"));
                services.AddStomper("b", configuration.GetSection("B"));
            });
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<StomperServiceOptions>>();

        var a = StomperOptionsMapping.ToAsyncOptions(monitor.Get("a"), null, null).Client!;
        var b = StomperOptionsMapping.ToAsyncOptions(monitor.Get("b"), null, null).Client!;

        Assert.That((a.Host, a.Port, a.Lazy, a.HandleParams, a.FrameLimits), Is.EqualTo(("mq.internal", 61620, true, (HandleParams?)null, (FrameLimits?)null)));
        Assert.That((b.Host, b.Port, b.Lazy), Is.EqualTo(("localhost", 61613, false)));
    }

    [Test]
    public void A_tls_section_with_Enabled_false_talks_plain_tcp()
    {
        var options = new StomperServiceOptions { Tls = new() { Enabled = false, CaFile = "/nowhere/ca.pem" } };

        var mapped = StomperOptionsMapping.ToAsyncOptions(options, null, null).Client!;

        Assert.That(mapped.HandleParams, Is.Null);
        Assert.That(new StomperServiceOptionsValidator("", "S").Validate("", options).Succeeded, Is.True, "a switched-off section's files are not looked for");
    }

    [Test]
    public void The_hosts_logger_factory_and_meter_factory_are_handed_to_the_client()
    {
        var loggers = new Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory();
        var meters = new Mock<System.Diagnostics.Metrics.IMeterFactory>().Object;

        var single = StomperOptionsMapping.ToAsyncOptions(new StomperServiceOptions(), loggers, meters).Client!;
        var cluster = StomperOptionsMapping.ToAsyncOptions(new StomperServiceOptions { Nodes = ["h:1"] }, loggers, meters).Cluster!;

        Assert.That((single.LoggerFactory, single.MeterFactory), Is.EqualTo((loggers, meters)));
        Assert.That((cluster.LoggerFactory, cluster.MeterFactory), Is.EqualTo((loggers, meters)));
    }

    [Test]
    public void A_registered_client_is_made_with_the_hosts_logger_factory_and_meter_factory()
    {
        var host = H.Host(new Dictionary<string, string?> { ["S:Host"] = "h" }, (services, configuration) =>
        {
            services.AddMetrics();
            services.AddStomper("s", configuration.GetSection("S"));
        });

        var options = StomperServiceCollectionExtensions.ClientOptions(host.Services, "s").Client!;

        Assert.That(options.LoggerFactory, Is.SameAs(host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        Assert.That(options.MeterFactory, Is.SameAs(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        Assert.That(options.Host, Is.EqualTo("h"));
    }

    [TestCase("Port", "0", "Stomper:Orders:Port: 0 is not a port: it must be from 1 to 65535")]
    [TestCase("Port", "70000", "Stomper:Orders:Port: 70000 is not a port: it must be from 1 to 65535")]
    [TestCase("Host", " ", "Stomper:Orders:Host: must name a host, not be empty")]
    [TestCase("Nodes:1", "no-port", "Stomper:Orders:Nodes:1: \"no-port\" is not host:port (for example 127.0.0.1:61613)")]
    [TestCase("Nodes:1", "h:0", "Stomper:Orders:Nodes:1: 0 is not a port: it must be from 1 to 65535")]
    [TestCase("Heartbeat:0", "-1", "Stomper:Orders:Heartbeat: must be two intervals in milliseconds, [cx, cy], each 0 or more")]
    [TestCase("Heartbeat:2", "5", "Stomper:Orders:Heartbeat: must be two intervals in milliseconds, [cx, cy], each 0 or more")]
    [TestCase("ConnectionTimeout", "-0.5", "Stomper:Orders:ConnectionTimeout: must be a number of seconds, 0 or more")]
    [TestCase("ReconnectInterval", "NaN", "Stomper:Orders:ReconnectInterval: must be a number of seconds, 0 or more")]
    [TestCase("ReceiptTimeout", "-1", "Stomper:Orders:ReceiptTimeout: must be a number of seconds, 0 or more")]
    [TestCase("ReconnectPolicy:MaxDelay", "1", "Stomper:Orders:ReconnectPolicy: only a cluster (Nodes) takes it")]
    [TestCase("Nodes:1+ReconnectPolicy:Multiplier", "0.5", "Stomper:Orders:ReconnectPolicy: \"ReconnectPolicy.Multiplier\" must be a finite number of at least 1")]
    [TestCase("Nodes:1+ReconnectPolicy:BaseDelay", "-2", "Stomper:Orders:ReconnectPolicy:BaseDelay: must be a number of seconds, 0 or more")]
    [TestCase("Login", "a\nb", "Stomper:Orders:Login: must not contain a line break (CONNECT headers are never escaped)")]
    [TestCase("Vhost", "a\rb", "Stomper:Orders:Vhost: must not contain a line break (CONNECT headers are never escaped)")]
    [TestCase("Handle:Linger", "-1", "Stomper:Orders:Handle:Linger: must be a number of seconds, 0 or more")]
    [TestCase("Handle:ReadSize", "0", "Stomper:Orders:Handle:ReadSize: must be 1 or more")]
    [TestCase("Handle:WbufMax", "-1", "Stomper:Orders:Handle:WbufMax: must be 0 or more")]
    [TestCase("Tls:CaFile", "/no/such/ca.pem", "Stomper:Orders:Tls:CaFile: no file at \"/no/such/ca.pem\"")]
    [TestCase("Tls:CaPath", "/no/such/folder", "Stomper:Orders:Tls:CaPath: no directory at \"/no/such/folder\"")]
    [TestCase("Tls:PeerName", "", "Stomper:Orders:Tls:PeerName: must name a host, not be empty")]
    [TestCase("FrameLimits:MaxFrameSize", "0", "Stomper:Orders:FrameLimits:MaxFrameSize: must be 1 or more")]
    [TestCase("FrameLimits:MaxHeaderCount", "-3", "Stomper:Orders:FrameLimits:MaxHeaderCount: must be 1 or more")]
    [TestCase("FrameLimits:MaxHeaderLineLength", "0", "Stomper:Orders:FrameLimits:MaxHeaderLineLength: must be 1 or more")]
    [TestCase("FrameLimits:MaxCommandLineLength", "0", "Stomper:Orders:FrameLimits:MaxCommandLineLength: must be 1 or more")]
    [TestCase("MessageBufferSize", "0", "Stomper:Orders:MessageBufferSize: must be 1 or more")]
    [TestCase("MessageBufferLimit", "999", "Stomper:Orders:MessageBufferLimit: must be at least Stomper:Orders:MessageBufferSize")]
    [TestCase("HealthProbeTimeout", "0", "Stomper:Orders:HealthProbeTimeout: must be a number of seconds above 0")]
    public void A_bad_value_stops_the_host_at_start_naming_its_key(string key, string value, string expected)
    {
        // "Nodes:1+<key>": a cluster's key (Nodes:0 set); any key under Nodes: a cluster too.
        const string OfACluster = "Nodes:1+";
        var cluster = key.StartsWith("Nodes", StringComparison.Ordinal);
        key = key.StartsWith(OfACluster, StringComparison.Ordinal) ? key[OfACluster.Length..] : key;
        var settings = new Dictionary<string, string?> { [$"Stomper:Orders:{key}"] = value };
        if (cluster)
        {
            settings["Stomper:Orders:Nodes:0"] = "127.0.0.1:61613";
        }

        var host = H.OrdersHost(settings);

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(error!.Failures, Is.EqualTo(new[] { expected }));
    }

    [Test]
    public void Several_bad_values_are_reported_together()
    {
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Port"] = "0", ["Stomper:Orders:MessageBufferSize"] = "0" });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Count.EqualTo(2));
        Assert.That(error.Message, Does.Contain("Stomper:Orders:Port").And.Contain("Stomper:Orders:MessageBufferSize"));
    }

    [Test]
    public void A_passcode_with_a_line_break_is_refused_without_showing_it()
    {
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Passcode"] = "hunter2\nx", ["Stomper:Orders:Tls:KeyPassword"] = "topsecret" });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            "Stomper:Orders:Passcode: must not contain a line break (CONNECT headers are never escaped)",
            "Stomper:Orders:Tls:KeyPassword is set, so Stomper:Orders:Tls:KeyFile must be set too",
        }));
        Assert.That(error.Message, Does.Not.Contain("hunter2").And.Not.Contain("topsecret"));
    }

    [Test]
    public void Host_and_nodes_together_are_refused()
    {
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Host"] = "a", ["Stomper:Orders:Nodes:0"] = "b:1" });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Is.EqualTo(new[] { "Stomper:Orders:Host and Stomper:Orders:Nodes: set either Host/Port (one server) or Nodes (a cluster), not both" }));
    }

    [Test]
    public void A_key_file_without_its_certificate_is_refused()
    {
        var key = Touch("client.key");
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Tls:KeyFile"] = key });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Is.EqualTo(new[] { "Stomper:Orders:Tls:KeyFile is set, so Stomper:Orders:Tls:CertFile must be set too" }));
    }

    [Test]
    public void A_misspelt_key_stops_the_host_rather_than_being_ignored()
    {
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Hearbeat:0"] = "5000" });

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("Hearbeat"));
    }

    [Test]
    public void A_value_of_the_wrong_type_stops_the_host_naming_its_key()
    {
        var host = H.OrdersHost(new Dictionary<string, string?> { ["Stomper:Orders:Port"] = "sixty" });

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("Stomper:Orders:Port"));
    }

    [Test]
    public void Options_configured_in_code_are_checked_under_the_clients_name()
    {
        var host = H.Host(new Dictionary<string, string?>(), (services, _) => services.AddStomper("audit", o => o.Port = 0));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Is.EqualTo(new[] { "Stomper:audit:Port: 0 is not a port: it must be from 1 to 65535" }));
    }

    private string Touch(string name)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, "not read by these tests");
        return path;
    }
}
