using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>
/// What a connection loads from tls_ctx's files (cert_file and its chain, key_file, ca_file,
/// ca_path) it releases when it ends: an X509Certificate2 holds native handles that the
/// collector would free only late, and a client reconnecting for days would pile them up.
/// </summary>
[TestFixture]
public sealed class TlsCertificateReleaseTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("stomper-tls-release-");
        TestCertificates.WritePem(Certs.Ca, In("ca.pem"));
        TestCertificates.WritePem(Certs.OtherCa, In("other-ca.pem"));
        File.WriteAllText(In("two-cas.pem"), File.ReadAllText(In("ca.pem")) + "\n" + File.ReadAllText(In("other-ca.pem")));
        Directory.CreateDirectory(In("roots"));
        File.Copy(In("ca.pem"), Path.Combine(In("roots"), "ca.pem"));

        // The server's file carries its chain after it (the CA, as an intermediate would be).
        TestCertificates.WritePem(Certs.Server, In("server.pem"), In("server-key.pem"));
        File.AppendAllText(In("server.pem"), "\n" + File.ReadAllText(In("ca.pem")));
        TestCertificates.WritePem(Certs.Client, In("client.pem"), In("client-key.pem"));
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private string In(string name) => Path.Combine(_folder.FullName, name);

    private TlsContext ServerFromFiles() => new()
    {
        CertFile = In("server.pem"),
        KeyFile = In("server-key.pem"),
        CaFile = In("ca.pem"),
        VerifyRequireClientCert = true,
    };

    private TlsContext ClientFromFiles() => new()
    {
        CaFile = In("two-cas.pem"),
        CaPath = In("roots"),
        CertFile = In("client.pem"),
        KeyFile = In("client-key.pem"),
    };

    [Test]
    public void Every_certificate_a_connection_loaded_from_files_is_released_when_it_ends_however_often_it_reconnects()
    {
        for (var connection = 0; connection < 10; connection++)
        {
            var pair = new TlsPair(serverContext: ServerFromFiles(), clientContext: ClientFromFiles());
            pair.Run();
            Assert.That(pair.ClientConnected && pair.ServerConnected, Is.True, pair.ServerError ?? pair.ClientError);
            var client = TlsPair.TlsOf(pair.Client).LoadedCertificates.All.ToList();
            var server = TlsPair.TlsOf(pair.Server!).LoadedCertificates.All.ToList();

            // Client: two roots of ca_file, one of ca_path, its certificate with its key, cert_file again for a chain.
            Assert.That(client, Has.Count.EqualTo(5), "each connect loads its files once, nothing piles up");

            // Server: one root of ca_file, its certificate with its key, cert_file again (itself and the CA) for a chain.
            Assert.That(server, Has.Count.EqualTo(4));
            Assert.That(client.Concat(server).Select(c => c.Handle), Has.None.EqualTo(IntPtr.Zero), "in use while connected");

            pair.Client.PushWrite("still fine");
            pair.Run();
            Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("still fine"));

            pair.Dispose();
            Assert.That(client.Concat(server).Select(c => c.Handle), Has.All.EqualTo(IntPtr.Zero), $"connection {connection}: every loaded certificate disposed");
        }
    }

    [Test]
    public void Certificates_loaded_before_a_setup_failure_are_released_with_the_failed_connection()
    {
        using var pair = new TlsPair(clientContext: new TlsContext { CaFile = In("two-cas.pem"), CertFile = In("missing.pem"), KeyFile = In("client-key.pem") });
        var transport = (TlsTransport?)null;
        var reason = (string?)null;
        pair.Client.OnConnectError = (h, why) => (transport, reason) = (TlsPair.TlsOf(h), why);
        pair.Run();

        Assert.That(reason, Does.StartWith("TLS setup failed: ").And.Contain("missing.pem"));
        var loaded = transport!.LoadedCertificates.All;
        Assert.That(loaded, Has.Count.EqualTo(2), "ca_file's roots were loaded before cert_file failed");
        Assert.That(pair.Pipe.Client.IsClosed, Is.True, "the handle let go of the transport");
        Assert.That(loaded.Select(c => c.Handle), Has.All.EqualTo(IntPtr.Zero));
    }

    [Test]
    [CancelAfter(30_000)]
    public void A_wss_connection_releases_what_it_loaded_from_files_once_disposed()
    {
        using var broker = new FakeBroker().Start();
        using var gateway = new WebSocketGateway(broker, new WebSocketGatewayOptions { Certificate = Certs.Server }).Start();
        using var loop = new Loop();
        var transport = new WebSocketTransport(loop, gateway.Url, tls: new TlsContext { CaFile = In("two-cas.pem") });
        var reports = new List<string?>();
        transport.Connect(gateway.Url.Host, gateway.Url.Port, reports.Add);
        RunUntil(loop, () => reports.Count > 0);
        Assert.That(reports, Is.EqualTo(new string?[] { null }), "the upgrade over TLS succeeded");
        var loaded = transport.LoadedCertificates.All.ToList();
        Assert.That(loaded, Has.Count.EqualTo(2));

        transport.Dispose();

        // The close may finish on the runtime's threads, which release what the transport owns.
        RunUntil(loop, () => loaded.All(c => c.Handle == IntPtr.Zero));
    }

    private static void RunUntil(Loop loop, Func<bool> condition)
    {
        var expired = false;
        using var guard = loop.Timer(10, 0, () => expired = true);
        using var poll = loop.Timer(0.01, 0.01, () => { });
        while (!condition())
        {
            Assert.That(expired, Is.False, "the condition held within 10 s");
            loop.RunOnce();
        }
    }

    [Test]
    public void Certificates_given_as_objects_stay_the_callers_after_the_connection_ends()
    {
        var pair = new TlsPair(serverContext: Certs.ServerContext(requireClientCert: true), clientContext: Certs.ClientContext(withClientCertificate: true));
        pair.Run();
        Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
        Assert.That(TlsPair.TlsOf(pair.Client).LoadedCertificates.All, Is.Empty, "nothing was loaded from a file");
        pair.Dispose();

        Assert.That(new[] { Certs.Ca, Certs.Client, Certs.Server }.Select(c => c.Handle), Has.None.EqualTo(IntPtr.Zero));
        Assert.That(Certs.Client.HasPrivateKey, Is.True);
    }
}
