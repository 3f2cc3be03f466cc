using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>
/// Whatever fails under or inside a TLS transport, whatever the type of its exception (the
/// socket's, SslStream's, a user callback's), reaches the handle through its documented
/// channel: the connect's error during the handshake, an error of the stream afterwards.
/// Nothing escapes into the loop, nothing hangs, and a transport disposed at any point of
/// its handshake reports nothing more.
/// </summary>
[TestFixture]
public sealed class TlsTransportFaultTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    /// <summary>A pair whose loop collects what escapes, with the client's socket under <see cref="FaultyTransport"/>.</summary>
    private static (TlsPair Pair, FaultyTransport Socket, List<Exception> Escaped) Faulty(
        TlsContext? serverContext = null, TlsContext? clientContext = null, bool startServer = true)
    {
        FaultyTransport? socket = null;
        var pair = new TlsPair(serverContext, clientContext, startServer: startServer, wrapClient: inner => socket = new FaultyTransport(inner));
        var escaped = new List<Exception>();
        pair.Loop.UnhandledException = escaped.Add;
        return (pair, socket!, escaped);
    }

    [Test]
    public void A_verify_cb_that_throws_an_exception_of_any_type_fails_the_connect_with_its_message()
    {
        var (pair, _, escaped) = Faulty(clientContext: new TlsContext
        {
            CaCertificates = [Certs.Ca],
            VerifyCb = (_, _, _, _) => throw new OddFailure("verify_cb exploded"),
        });
        using (pair)
        {
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientConnected, Is.False);
            Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: ").And.Contain("verify_cb exploded"));
        }
    }

    [Test]
    public void A_verify_cb_that_throws_a_cancellation_fails_the_connect_rather_than_completing_it()
    {
        // An async method that throws OperationCanceledException ends cancelled, not faulted:
        // a handshake judged by its Exception alone would count as a success.
        var (pair, _, escaped) = Faulty(clientContext: new TlsContext
        {
            CaCertificates = [Certs.Ca],
            VerifyCb = (_, _, _, _) => throw new OperationCanceledException("verify_cb gave up"),
        });
        using (pair)
        {
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientConnected, Is.False, "a cancelled handshake is not a connection");
            Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
        }
    }

    [Test]
    public void A_certificate_selection_callback_that_throws_fails_the_connect_with_its_message()
    {
        var calls = 0;
        var (pair, _, escaped) = Faulty(
            serverContext: Certs.ServerContext(requireClientCert: true),
            clientContext: new TlsContext
            {
                CaCertificates = [Certs.Ca],
                Options = new SslClientAuthenticationOptions
                {
                    ClientCertificates = [Certs.Client],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) =>
                    {
                        calls++;
                        throw new OddFailure("selection exploded");
                    },
                },
            });
        using (pair)
        {
            pair.Run();
            Assert.That(calls, Is.GreaterThan(0), "SslStream asked for a certificate");
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientConnected, Is.False);
            Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: ").And.Contain("selection exploded"));
        }
    }

    [Test]
    public void A_socket_that_fails_oddly_while_the_client_hello_leaves_fails_the_connect_with_its_message()
    {
        var (pair, socket, escaped) = Faulty(startServer: false);
        using (pair)
        {
            socket.SendFault = new OddFailure("the socket broke on send");
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo("TLS handshake failed: the socket broke on send"));
        }
    }

    [Test]
    public void A_socket_that_fails_oddly_mid_handshake_fails_the_connect_with_its_message()
    {
        var (pair, socket, escaped) = Faulty(startServer: false);
        using (pair)
        {
            pair.Run();
            Assert.That(pair.Pipe.Server.Pending, Is.GreaterThan(0), "the ClientHello went out");
            socket.ReceiveFault = new OddFailure("the socket broke on receive");
            pair.Pipe.Server.Inject([22, 3, 3, 0, 1]);
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo("TLS handshake failed: the socket broke on receive"));
            Assert.That(pair.Pipe.Client.IsClosed, Is.True, "the handle let go of the transport");
        }
    }

    [Test]
    public void A_connection_reset_mid_handshake_fails_the_connect_with_the_sockets_words()
    {
        var (pair, socket, escaped) = Faulty(startServer: false);
        using (pair)
        {
            pair.Run();
            socket.ReceiveFault = new SocketException((int)SocketError.ConnectionReset);
            pair.Pipe.Server.Inject([22]);
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo("TLS handshake failed: " + new SocketException((int)SocketError.ConnectionReset).Message));
        }
    }

    [Test]
    public void A_socket_that_fails_oddly_mid_session_on_read_ends_the_stream_with_its_message()
    {
        var (pair, socket, escaped) = Faulty();
        using (pair)
        {
            pair.Run();
            Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
            socket.ReceiveFault = new OddFailure("the socket broke on receive");
            pair.Server!.PushWrite("anything");
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo("the socket broke on receive"));
            Assert.That(pair.Client.IsDestroyed, Is.True);
        }
    }

    [Test]
    public void A_socket_that_fails_oddly_mid_session_on_write_ends_the_stream_with_its_message()
    {
        var (pair, socket, escaped) = Faulty();
        using (pair)
        {
            pair.Run();
            Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
            socket.SendFault = new OddFailure("the socket broke on send");
            Assert.DoesNotThrow(() => pair.Client.PushWrite("anything"));
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo("the socket broke on send"));
            Assert.That(pair.Client.IsDestroyed, Is.True);
        }
    }

    [Test]
    public void A_connection_reset_mid_session_keeps_the_sockets_words_as_over_tcp()
    {
        var (pair, socket, escaped) = Faulty();
        using (pair)
        {
            pair.Run();
            socket.ReceiveFault = new SocketException((int)SocketError.ConnectionReset);
            pair.Server!.PushWrite("anything");
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientError, Is.EqualTo(new SocketException((int)SocketError.ConnectionReset).Message));
        }
    }

    [Test]
    public void Disposing_over_a_socket_that_fails_oddly_on_the_close_notify_still_closes()
    {
        var (pair, socket, escaped) = Faulty();
        using (pair)
        {
            pair.Run();
            Assert.That(pair.ClientConnected, Is.True, pair.ClientError);
            socket.SendFault = new OddFailure("the socket broke on send");
            Assert.DoesNotThrow(() => pair.Client.Dispose());
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.Pipe.Client.IsClosed, Is.True);
        }
    }

    [Test]
    public void Protocol_versions_the_platform_does_not_know_fail_the_connect_with_the_reason()
    {
        var (pair, _, escaped) = Faulty(clientContext: new TlsContext { CaCertificates = [Certs.Ca], Protocols = (SslProtocols)0x1_0000 });
        using (pair)
        {
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ClientConnected, Is.False);
            Assert.That(pair.ClientError, Does.StartWith("TLS handshake failed: "));
        }
    }

    [Test]
    public void A_server_certificate_without_its_private_key_fails_the_accept_with_the_reason()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(Certs.Server.RawData);
        var (pair, _, escaped) = Faulty(serverContext: new TlsContext { ServerCertificate = publicOnly });
        using (pair)
        {
            pair.Run();
            Assert.That(escaped, Is.Empty, string.Join("\n", escaped));
            Assert.That(pair.ServerConnected, Is.False);
            Assert.That(pair.ServerError, Does.StartWith("TLS setup failed: ").And.Contain("private key"));
            Assert.That(pair.ClientError, Is.Not.Null, "the client hears that the server gave up");
        }
    }

    [Test]
    public void A_client_disposed_after_any_number_of_handshake_passes_reports_nothing_more()
    {
        // How many passes a whole handshake takes here, so that every point of it is tried.
        int passes;
        using (var whole = new TlsPair())
        {
            for (passes = 0; !whole.ClientConnected && passes < 100; passes++)
            {
                whole.Loop.RunOnce(block: false);
            }

            Assert.That(whole.ClientConnected, Is.True, whole.ClientError);
        }

        for (var at = 0; at < passes; at++)
        {
            var (pair, _, escaped) = Faulty();
            using (pair)
            {
                for (var i = 0; i < at; i++)
                {
                    pair.Loop.RunOnce(block: false);
                }

                Assert.That(pair.ClientConnected, Is.False, $"connected before pass {at}");
                pair.Client.Dispose();
                pair.Run();
                Assert.That(escaped, Is.Empty, $"after {at} passes: " + string.Join("\n", escaped));
                Assert.That(pair.ClientConnected, Is.False, $"on_connect after a dispose at pass {at}");
                Assert.That(pair.ClientError, Is.Null, $"an error after a dispose at pass {at}");
                Assert.That(pair.Pipe.Client.IsClosed, Is.True);
            }
        }
    }

    /// <summary>An exception of a type no catch list would name.</summary>
    private sealed class OddFailure(string message) : Exception(message);
}
