using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;
using Stomper.Tests.EventLoop.Tls;

namespace Stomper.Tests.Review;

/// <summary>
/// Third review of issue 11 (TLS in the handle): a close_notify that comes with the last data,
/// certificate checks that must not block the loop, and the write timeout over TLS.
/// </summary>
[TestFixture]
public sealed class ThirdReviewTlsTests
{
    [Test]
    public void A_close_notify_that_arrives_with_the_last_data_is_an_end_of_file_though_the_peer_keeps_the_connection_open()
    {
        using var pair = new TlsPair();
        pair.Run();

        // Data and close_notify land in one read; the TCP connection stays open (a peer that
        // waits for our close_notify before it closes), so no readiness follows.
        pair.Server!.PushWrite("last words");
        TlsPair.TlsOf(pair.Server).CloseNotify();
        pair.Run();

        Assert.That(pair.ClientReceived.ToString(), Is.EqualTo("last words"));
        Assert.That(pair.ClientEof, Is.True, "the close_notify was read and never reported");
        Assert.That(pair.ClientError, Is.Null);
    }

    [Test]
    public void A_close_notify_that_cannot_leave_while_reading_is_paused_leaves_the_loop_idle_and_the_next_write_reports_the_failure()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.StopRead();
        pair.Pipe.Server.Dispose();

        // Written outside a send (as a reply while reading would be): its failure waits for
        // the handle's next write, and must not keep the loop busy meanwhile.
        TlsPair.TlsOf(pair.Client).CloseNotify();
        var busy = 0;
        for (var i = 0; i < 100; i++)
        {
            if (pair.Loop.RunOnce(block: false))
            {
                busy++;
            }
        }

        Assert.That(busy, Is.LessThan(10), "a write watch left on over a failed socket spins the loop");
        pair.Client.PushWrite("after");
        pair.Run();
        Assert.That(pair.ClientError, Does.Contain("Broken pipe"));
    }

    [Test]
    public void A_write_timeout_does_not_fire_while_the_ciphertext_keeps_leaving_a_little_at_a_time()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.WTimeout = 5;
        pair.Pipe.ClientSendLimit = 1_000;
        pair.Pipe.Server.Paused = true;
        var text = new string('s', 60_000);
        pair.Client.PushWrite(text);

        // Every second the peer takes one send's worth: slow, but never stalled for 5 s,
        // so over TCP the timeout would never fire.
        for (var second = 0; second < 200 && pair.ServerReceived.Length < text.Length && pair.ClientError is null; second++)
        {
            pair.Pipe.Server.Paused = false;
            pair.Loop.RunOnce(block: false);
            pair.Pipe.Server.Paused = true;
            pair.Loop.Advance(1);
        }

        pair.Pipe.Server.Paused = false;
        pair.Run();
        Assert.That(pair.ClientError, Is.Null);
        Assert.That(pair.ServerReceived.Length, Is.EqualTo(text.Length));
    }

    [TestCase(true, TestName = "A_chain_missing_its_intermediate_is_refused_without_a_download_from_the_loop_thread_with_ca_file")]
    [TestCase(false, TestName = "A_chain_missing_its_intermediate_is_refused_without_a_download_from_the_loop_thread_with_the_system_roots")]
    public void A_chain_missing_its_intermediate_is_refused_without_a_download_from_the_loop_thread(bool withCaFile)
    {
        using var aia = new AiaServer();
        var chain = AiaChain.Make(aia.Url);
        aia.Serve(chain.Intermediate);
        using var pair = new TlsPair(
            serverContext: new TlsContext { ServerCertificate = chain.Leaf },
            clientContext: withCaFile ? new TlsContext { CaCertificates = [chain.Root] } : new TlsContext());
        pair.Run();

        Assert.That(aia.Requests, Is.Zero, "the loop thread fetched the intermediate over HTTP inside the handshake");
        Assert.That(pair.ClientError, Does.StartWith("TLS certificate verification failed").And.Contain("RemoteCertificateChainErrors"));
    }

    [Test]
    public void A_revocation_mode_set_in_Options_is_kept_beside_a_ca_file()
    {
        using var loaded = new LoadedCertificates();
        var options = TlsOptions.Client(
            new TlsContext
            {
                CaCertificates = [TestCertificates.Shared.Ca],
                Options = new System.Net.Security.SslClientAuthenticationOptions { CertificateRevocationCheckMode = X509RevocationMode.Offline },
            },
            "localhost",
            new TlsVerifier(new TlsContext(), "localhost", clientCertOptional: false),
            loaded);

        // With a chain policy present SslStream reads the revocation mode from the policy only.
        Assert.That(options.CertificateChainPolicy!.RevocationMode, Is.EqualTo(X509RevocationMode.Offline));
    }

    [Test]
    public void An_accepting_handle_whose_peer_already_sent_garbage_reports_the_failed_handshake_after_its_constructor_returned()
    {
        var loop = new Loop(new FakeClock());
        var pipe = new MemoryPipe(loop);
        pipe.Client.Inject("CONNECT\naccept-version:1.2\n\n\0"u8);
        var reports = new List<(bool OwnerHeldIt, string Reason)>();
        Handle? server = null;
        server = new Handle(loop, pipe.Server, new HandleOptions
        {
            Tls = TlsMode.Accept,
            TlsCtx = TestCertificates.Shared.ServerContext(),
            OnConnectError = (h, reason) => reports.Add((h == server, reason)),
        });
        Assert.That(reports, Is.Empty, "reported from inside the constructor");

        loop.RunPending();

        Assert.That(reports, Has.Count.EqualTo(1));
        Assert.That(reports[0].OwnerHeldIt, Is.True);
        Assert.That(reports[0].Reason, Does.StartWith("TLS handshake failed: "));
        loop.Dispose();
    }

    [Test]
    public void A_handle_disposed_from_its_own_verify_cb_mid_handshake_ends_quietly()
    {
        TlsPair? pair = null;
        var calls = 0;
        var context = new TlsContext
        {
            CaCertificates = [TestCertificates.Shared.Ca],
            VerifyCb = (_, _, _, _) =>
            {
                calls++;
                pair!.Client.Dispose();
                return true;
            },
        };
        pair = new TlsPair(clientContext: context);
        var thrown = new List<Exception>();
        pair.Loop.UnhandledException = thrown.Add;
        pair.Run();

        Assert.That(calls, Is.EqualTo(1));
        Assert.That(thrown, Is.Empty, string.Join("\n", thrown));
        Assert.That(pair.Client.IsDestroyed, Is.True);
        Assert.That(pair.ClientConnected, Is.False, "on_connect after the handle was disposed");
        Assert.That(pair.ClientError, Is.Null, "a callback after the handle was disposed");
        pair.Dispose();
    }

    [Test]
    public void A_server_certificate_made_for_client_authentication_only_is_refused()
    {
        var ca = TestCertificates.Shared.Ca;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var bare = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [0x11, 0x22, 0x33]);
        using var pair = new TlsPair(serverContext: new TlsContext { ServerCertificate = bare.CopyWithPrivateKey(key) });
        pair.Run();

        Assert.That(pair.ClientConnected, Is.False);
        Assert.That(pair.ClientError, Does.StartWith("TLS certificate verification failed"));
    }

    [Test]
    public void A_fake_broker_connection_whose_handshake_fails_gives_the_reason_with_its_prefix_once()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { Tls = TestCertificates.Shared.ServerContext() }).Start();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, broker.Port);
        socket.Send("CONNECT\naccept-version:1.2\n\n\0"u8);
        var connection = broker.WaitForConnection();
        broker.WaitFor(_ => connection.CloseReason is not null, "the connection's close");

        Assert.That(connection.CloseReason, Does.StartWith("TLS handshake failed: ").And.Not.Contain("TLS handshake failed: TLS handshake failed"));
    }

    /// <summary>A root, an intermediate that names where it can be fetched (caIssuers), and a leaf for localhost signed by the intermediate.</summary>
    private sealed record AiaChain(X509Certificate2 Root, X509Certificate2 Intermediate, X509Certificate2 Leaf)
    {
        public static AiaChain Make(string caIssuersUrl)
        {
            var now = DateTimeOffset.UtcNow;
            using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var rootRequest = new CertificateRequest("CN=Stomper AIA Root", rootKey, HashAlgorithmName.SHA256);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
            var root = rootRequest.CreateSelfSigned(now.AddDays(-10), now.AddYears(1));

            using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var intermediateRequest = new CertificateRequest("CN=Stomper AIA Intermediate", intermediateKey, HashAlgorithmName.SHA256);
            intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
            using var intermediateBare = intermediateRequest.Create(root, now.AddDays(-5), now.AddMonths(6), Serial());
            var intermediate = intermediateBare.CopyWithPrivateKey(intermediateKey);

            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
            leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            leafRequest.CertificateExtensions.Add(names.Build());
            leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [caIssuersUrl]));
            using var leafBare = leafRequest.Create(intermediate, now.AddDays(-1), now.AddMonths(3), Serial());
            return new AiaChain(root, intermediate, leafBare.CopyWithPrivateKey(leafKey));
        }

        private static byte[] Serial()
        {
            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            return serial;
        }
    }

    /// <summary>An HTTP server on loopback, on its own thread, that hands out one certificate and counts the requests.</summary>
    private sealed class AiaServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Thread _thread;
        private byte[] _der = [];
        private int _requests;

        public AiaServer()
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/intermediate.cer";
            _thread = new Thread(ServeAll) { IsBackground = true, Name = "AIA server" };
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public void Serve(X509Certificate2 certificate)
        {
            _der = certificate.RawData;
            _thread.Start();
        }

        public void Dispose()
        {
            _listener.Stop();
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        private void ServeAll()
        {
            try
            {
                while (true)
                {
                    using var client = _listener.AcceptSocket();
                    Interlocked.Increment(ref _requests);
                    var buffer = new byte[4096];
                    client.ReceiveTimeout = 2000;
                    client.Receive(buffer);
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nContent-Length: {_der.Length}\r\nConnection: close\r\n\r\n");
                    client.Send(head);
                    client.Send(_der);
                    client.Shutdown(SocketShutdown.Send);
                }
            }
            catch (SocketException)
            {
                // Stopped.
            }
            catch (ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
