using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>The handle speaking TLS over an in-memory pipe: handshake, data, checks, closes.</summary>
[TestFixture]
public sealed class TlsHandleTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    [Test]
    public void Bytes_cross_both_ways_after_the_handshake_and_on_connect_comes_after_it()
    {
        using var pair = new TlsPair();
        Assert.That(pair.ClientConnected, Is.False, "on_connect waits for the handshake");
        pair.Run();
        Assert.That(pair.ClientError, Is.Null);
        Assert.That(pair.ClientConnected && pair.ServerConnected, Is.True);

        pair.Client.PushWrite("hello server");
        pair.Server!.PushWrite("hello client");
        pair.Run();

        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("hello server"));
        Assert.That(pair.ClientReceived.ToString(), Is.EqualTo("hello client"));
    }

    [Test]
    public void Data_that_arrives_with_the_last_handshake_message_is_read_without_further_readiness()
    {
        using var pair = new TlsPair();
        pair.Client.OnConnect = (h, _, _) => h.PushWrite("sent at once");
        pair.Run();
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("sent at once"));
    }

    [Test]
    public void What_crosses_the_pipe_is_ciphertext()
    {
        using var pair = new TlsPair();
        pair.Run();
        var before = pair.Pipe.Client.BytesSent;
        pair.Client.PushWrite("a secret that must not show");
        Assert.That(pair.Pipe.Client.BytesSent, Is.GreaterThan(before + "a secret that must not show".Length), "a record carries a header and a tag");
        pair.Run();
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("a secret that must not show"));
    }

    [Test]
    public void Decryption_runs_on_the_loop_thread_with_no_hop_to_the_thread_pool()
    {
        using var pair = new TlsPair();
        pair.Run();
        var transport = TlsPair.TlsOf(pair.Client);
        var threads = new HashSet<int>();
        pair.Client.OnRead = h =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            threads.Add(transport.LastDecryptThreadId);
            h.Consume(h.ReadBuffer.Length);
        };
        for (var i = 0; i < 20; i++)
        {
            pair.Server!.PushWrite($"message {i}");
            pair.Run();
        }

        Assert.That(threads, Is.EqualTo(new[] { Environment.CurrentManagedThreadId }));
    }

    [Test]
    public void Decrypted_bytes_the_handle_did_not_take_in_one_pass_are_read_in_the_next_though_the_pipe_is_empty()
    {
        using var pair = new TlsPair(readSize: 100);
        pair.Run();
        var text = new string('x', 10_000);
        pair.Server!.PushWrite(text);
        pair.Run(passes: 1_000);
        Assert.That(pair.Pipe.Client.Pending, Is.Zero);
        Assert.That(pair.ClientReceived.Length, Is.EqualTo(text.Length));
    }

    [Test]
    public void A_large_write_arrives_whole_through_a_socket_that_takes_little_at_a_time()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Pipe.ClientSendLimit = 1000;
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + (i % 26))));
        pair.Client.PushWrite(text);
        pair.Run(passes: 5_000);
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo(text));
        Assert.That(pair.Client.BytesWritten, Is.EqualTo(text.Length));
    }

    [Test]
    public void Records_that_arrive_split_anywhere_or_many_at_once_all_arrive_in_order()
    {
        using var pair = new TlsPair();
        pair.Run();
        var expected = new System.Text.StringBuilder();
        foreach (var limit in new[] { 1, 3, 7, 1000, 0 })
        {
            // 0 lifts the limit: the burst of small records crosses in one read.
            pair.Pipe.ClientSendLimit = limit;
            for (var i = 0; i < 5; i++)
            {
                var text = $"frame {limit}/{i};";
                pair.Client.PushWrite(text);
                expected.Append(text);
            }

            pair.Run(passes: 5_000);
        }

        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo(expected.ToString()));
    }

    [Test]
    public void Bytes_count_as_written_only_once_their_ciphertext_has_left_for_the_socket()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Pipe.ClientSendLimit = 100;
        pair.Pipe.Server.Paused = true;
        var written = new List<long>();
        pair.Client.OnWritten = h => written.Add(h.BytesWritten);
        pair.Client.PushWrite(new string('y', 5_000));
        pair.Run();
        Assert.That(pair.Client.BytesWritten, Is.Zero, "the record's ciphertext is still mostly here");
        Assert.That(pair.Client.WriteBufferLength, Is.EqualTo(5_000));

        pair.Pipe.Server.Paused = false;
        pair.Run(passes: 1_000);
        Assert.That(pair.Client.BytesWritten, Is.EqualTo(5_000));
        Assert.That(written, Is.EqualTo(new long[] { 5_000 }));
    }

    [Test]
    public void Wbuf_max_trips_when_the_peer_stops_reading_as_over_tcp()
    {
        using var pair = new TlsPair(wbufMax: 50_000);
        pair.Run();
        pair.Pipe.ClientSendLimit = 4096;
        pair.Pipe.Server.Paused = true;
        for (var i = 0; i < 20 && pair.ClientError is null; i++)
        {
            pair.Client.PushWrite(new string('z', 5_000));
            pair.Run();
        }

        Assert.That(pair.ClientError, Does.StartWith("Write buffer overflow"));
    }

    [Test]
    public void A_write_timeout_fires_when_the_ciphertext_cannot_leave()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.WTimeout = 5;
        pair.Pipe.ClientSendLimit = 100;
        pair.Pipe.Server.Paused = true;
        pair.Client.PushWrite(new string('w', 1_000));
        pair.Loop.Advance(6);
        Assert.That(pair.ClientError, Is.EqualTo("Connection timed out"));
    }

    [Test]
    public void A_read_timeout_fires_over_tls_as_over_tcp()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.RTimeout = 5;
        pair.Loop.Advance(4);
        pair.Server!.PushWrite("still here");
        pair.Loop.Advance(4);
        Assert.That(pair.ClientError, Is.Null, "the read reset the count");
        pair.Loop.Advance(2);
        Assert.That(pair.ClientError, Is.EqualTo("Connection timed out"));
    }

    [Test]
    public void A_server_certificate_from_an_untrusted_root_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.Untrusted));
        pair.Run();
        Assert.That(pair.ClientConnected, Is.False);
        Assert.That(pair.ClientError, Does.Contain("not trusted").And.Contain("RemoteCertificateChainErrors"));
    }

    [Test]
    public void A_certificate_for_another_name_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.WrongName));
        pair.Run();
        Assert.That(pair.ClientError, Does.Contain("RemoteCertificateNameMismatch").And.Contain("\"localhost\""));
    }

    [Test]
    public void An_expired_certificate_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.Expired));
        pair.Run();
        Assert.That(pair.ClientError, Does.Contain("NotTimeValid").And.Contain("expired"));
    }

    [Test]
    public void The_peername_is_checked_instead_of_the_host()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.WrongName), host: "127.0.0.1", peername: "broker.example");
        pair.Run();
        Assert.That(pair.ClientError, Is.Null);
        Assert.That(pair.ClientConnected, Is.True);
    }

    [Test]
    public void An_ip_address_host_is_checked_against_the_certificates_ip_entries()
    {
        using var pair = new TlsPair(host: "127.0.0.1");
        pair.Run();
        Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
    }

    [Test]
    public void Verify_peername_off_keeps_the_chain_check_only()
    {
        using var wrongName = new TlsPair(serverContext: Certs.ServerContext(Certs.WrongName), clientContext: new TlsContext { CaCertificates = [Certs.Ca], VerifyPeername = false });
        wrongName.Run();
        Assert.That(wrongName.ClientConnected, Is.True, wrongName.ClientError);

        using var untrusted = new TlsPair(serverContext: Certs.ServerContext(Certs.Untrusted), clientContext: new TlsContext { CaCertificates = [Certs.Ca], VerifyPeername = false });
        untrusted.Run();
        Assert.That(untrusted.ClientError, Does.Contain("not trusted"));
    }

    [Test]
    public void Verify_off_accepts_any_certificate()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.Untrusted), clientContext: new TlsContext { Verify = false }, peername: "nothing.example");
        pair.Run();
        Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
    }

    [Test]
    public void Verify_cb_has_the_last_word_and_sees_the_verdict()
    {
        System.Net.Security.SslPolicyErrors? seen = null;
        using var accepted = new TlsPair(serverContext: Certs.ServerContext(Certs.WrongName), clientContext: new TlsContext
        {
            CaCertificates = [Certs.Ca],
            VerifyCb = (_, _, _, errors) =>
            {
                seen = errors;
                return true;
            },
        });
        accepted.Run();
        Assert.That(accepted.ClientConnected, Is.True);
        Assert.That(seen, Is.EqualTo(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch));

        using var refused = new TlsPair(clientContext: new TlsContext { CaCertificates = [Certs.Ca], VerifyCb = (_, _, _, _) => false });
        refused.Run();
        Assert.That(refused.ClientError, Does.Contain("verify_cb refused it"));
    }

    [Test]
    public void What_Options_sets_wins_over_the_keys()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(Certs.WrongName), clientContext: new TlsContext
        {
            CaCertificates = [Certs.Ca],
            Options = new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "broker.example" },
        });
        pair.Run();
        Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
    }

    [Test]
    public void A_client_certificate_is_presented_when_the_server_requires_one()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(requireClientCert: true), clientContext: Certs.ClientContext(withClientCertificate: true));
        pair.Run();
        Assert.That(pair.ClientConnected && pair.ServerConnected, Is.True, pair.ClientError ?? pair.ServerError);
        var server = TlsPair.TlsOf(pair.Server!);
        Assert.That(server.SslStream!.RemoteCertificate!.Subject, Is.EqualTo("CN=stomper-client"));
    }

    [Test]
    public void A_server_that_requires_a_client_certificate_refuses_a_client_without_one_and_both_hear_why()
    {
        using var pair = new TlsPair(serverContext: Certs.ServerContext(requireClientCert: true));
        pair.Run();
        pair.Client.PushWrite("anyone there?");
        pair.Run();
        Assert.That(pair.ServerError, Does.Contain("RemoteCertificateNotAvailable"));
        Assert.That(pair.ClientError, Is.Not.Null, "TLS 1.3 clients learn it on their first read");
    }

    [Test]
    public void No_common_protocol_version_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(
            serverContext: new TlsContext { ServerCertificate = Certs.Server, Protocols = System.Security.Authentication.SslProtocols.Tls13 },
            clientContext: new TlsContext { CaCertificates = [Certs.Ca], Protocols = System.Security.Authentication.SslProtocols.Tls12 });
        pair.Run();
        Assert.That(pair.ClientConnected, Is.False);
        Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
    }

    [Test]
    public void Protocols_pins_the_version_both_sides_speak()
    {
        using var pair = new TlsPair(clientContext: new TlsContext { CaCertificates = [Certs.Ca], Protocols = System.Security.Authentication.SslProtocols.Tls12 });
        pair.Run();
        Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
        var transport = TlsPair.TlsOf(pair.Client);
        Assert.That(transport.Protocol, Is.EqualTo(System.Security.Authentication.SslProtocols.Tls12));
        pair.Client.PushWrite("over 1.2");
        pair.Run();
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("over 1.2"));
    }

    [Test]
    public void Garbage_instead_of_a_server_hello_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(startServer: false);
        pair.Pipe.Server.Inject("HTTP/1.1 400 Bad Request\r\n\r\n"u8);
        pair.Run();
        Assert.That(pair.ClientConnected, Is.False);
        Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
    }

    [Test]
    public void A_peer_that_stalls_mid_handshake_is_ended_by_the_connect_timeout()
    {
        using var pair = new TlsPair(startServer: false, onPrepare: _ => 3);
        pair.Loop.Advance(2);
        Assert.That(pair.ClientError, Is.Null);
        Assert.That(pair.Pipe.Server.Pending, Is.GreaterThan(0), "the ClientHello went out");
        pair.Loop.Advance(2);
        Assert.That(pair.ClientError, Is.EqualTo("Connection timed out"));
        Assert.That(pair.Pipe.Client.IsClosed, Is.True);
    }

    [Test]
    public void A_peer_that_closes_mid_handshake_fails_the_connect_with_the_reason()
    {
        using var pair = new TlsPair(startServer: false);
        pair.Run();
        pair.Pipe.Server.Dispose();
        pair.Run();
        Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
    }

    [Test]
    public void A_huge_record_mid_session_ends_the_connection_with_an_error_and_bounded_memory()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Pipe.Server.Inject([23, 3, 3, 0xFF, 0xFF]);
        var junk = new byte[64 * 1024];
        var injected = 0;
        for (; injected < 64 && pair.ClientError is null; injected++)
        {
            pair.Pipe.Server.Inject(junk);
            pair.Run();
        }

        Assert.That(pair.ClientError, Does.StartWith("TLS error: "));
        Assert.That(pair.Client.IsDestroyed, Is.True);
        Assert.That(injected, Is.LessThanOrEqualTo(2), "the client gave up within one record's worth of junk instead of buffering it all");
    }

    [Test]
    public void A_huge_record_instead_of_a_server_hello_fails_the_connect_with_bounded_memory()
    {
        using var pair = new TlsPair(startServer: false);
        pair.Pipe.Server.Inject([22, 3, 3, 0xFF, 0xFF]);
        var junk = new byte[64 * 1024];
        var injected = 0;
        for (; injected < 64 && pair.ClientError is null; injected++)
        {
            pair.Pipe.Server.Inject(junk);
            pair.Run();
        }

        Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
        Assert.That(injected, Is.LessThanOrEqualTo(2), "the client gave up within one record's worth of junk instead of buffering it all");
    }

    [Test]
    public void A_close_with_close_notify_is_an_end_of_file()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Server!.PushWrite("bye");
        pair.Server.Linger = 0;
        pair.Server.Dispose();
        pair.Run();
        Assert.That(pair.ClientReceived.ToString(), Is.EqualTo("bye"));
        Assert.That(pair.ClientEof, Is.True);
        Assert.That(pair.ClientError, Is.Null);
    }

    [Test]
    public void A_close_without_close_notify_mid_session_is_reported_as_such()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Server!.PushWrite("last words");
        pair.Run();
        pair.Pipe.Server.ShutdownSend();
        pair.Run();
        Assert.That(pair.ClientReceived.ToString(), Is.EqualTo("last words"));
        Assert.That(pair.ClientError, Does.Contain("without a TLS close_notify"));
    }

    [Test]
    public void Disposing_the_client_sends_a_close_notify()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.PushWrite("done");
        pair.Client.Dispose();
        pair.Run();
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("done"));
        Assert.That(pair.ServerEof, Is.True);
        Assert.That(pair.ServerError, Is.Null);
    }

    [Test]
    public void A_handle_disposed_from_its_own_read_callback_closes_cleanly_with_a_close_notify()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.OnRead = h =>
        {
            h.Consume(h.ReadBuffer.Length);
            h.Dispose();
        };
        pair.Server!.PushWrite("first");
        pair.Server.PushWrite("second");
        pair.Run();

        Assert.That(pair.Client.IsDestroyed, Is.True);
        Assert.That(pair.ServerEof, Is.True, "the server read a close_notify, then end-of-file");
        Assert.That(pair.ServerError, Is.Null);
    }

    [Test]
    public void An_exception_from_on_connect_leaves_the_tls_session_usable()
    {
        using var pair = new TlsPair();
        pair.Client.OnConnect = (_, _, _) => throw new InvalidOperationException("user bug");
        var thrown = new List<Exception>();
        pair.Loop.UnhandledException = thrown.Add;
        pair.Run();
        pair.Client.PushWrite("still works");
        pair.Run();

        Assert.That(thrown.Select(e => e.Message), Is.EqualTo(new[] { "user bug" }));
        Assert.That(pair.ServerReceived.ToString(), Is.EqualTo("still works"));
    }

    [Test]
    public void Accept_without_a_certificate_fails_with_a_clear_error()
    {
        using var pair = new TlsPair(serverContext: new TlsContext());
        pair.Run();
        Assert.That(pair.ServerError, Does.Contain("TLS accept needs a server certificate"));
    }

    [Test]
    public void Certificates_and_keys_load_from_pem_files_as_ca_file_cert_file_and_key_file()
    {
        var folder = Directory.CreateTempSubdirectory("stomper-tls-");
        try
        {
            string In(string name) => Path.Combine(folder.FullName, name);
            TestCertificates.WritePem(Certs.Ca, In("ca.pem"));
            TestCertificates.WritePem(Certs.Server, In("server.pem"), In("server-key.pem"));
            TestCertificates.WritePem(Certs.Client, In("client.pem"), In("client-key.pem"));
            using var pair = new TlsPair(
                serverContext: new TlsContext { CertFile = In("server.pem"), KeyFile = In("server-key.pem"), CaFile = In("ca.pem"), VerifyRequireClientCert = true },
                clientContext: new TlsContext { CaPath = folder.FullName, CertFile = In("client.pem"), KeyFile = In("client-key.pem") });
            pair.Run();
            Assert.That(pair.ClientConnected && pair.ServerConnected, Is.True, pair.ClientError ?? pair.ServerError);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public void A_missing_ca_file_fails_the_connect_with_the_file_named()
    {
        using var pair = new TlsPair(clientContext: new TlsContext { CaFile = "/nonexistent/ca.pem" });
        pair.Run();
        Assert.That(pair.ClientError, Does.StartWith("TLS setup failed: ").And.Contain("/nonexistent/ca.pem"));
    }

    [Test]
    public void A_ca_path_without_certificates_fails_the_connect_saying_so()
    {
        var folder = Directory.CreateTempSubdirectory("stomper-tls-empty-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "README.txt"), "no certificates here");
            using var pair = new TlsPair(clientContext: new TlsContext { CaPath = folder.FullName });
            pair.Run();
            Assert.That(pair.ClientError, Is.EqualTo($"TLS setup failed: No CA certificate found in ca_path \"{folder.FullName}\" (*.pem, *.crt)"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
