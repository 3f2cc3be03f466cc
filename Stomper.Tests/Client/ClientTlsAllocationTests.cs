using System.Net;
using System.Net.Sockets;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.Client;

/// <summary>
/// Over TLS too, the SEND path allocates nothing per message once the handshake is done:
/// encryption on the client and decryption on a TLS server on the same loop thread, over
/// loopback sockets, measured on that thread.
/// </summary>
[TestFixture]
public sealed class ClientTlsAllocationTests
{
    private const int Sends = 10_000;

    [TestCase(false)]
    [TestCase(true)]
    public void SEND_over_TLS_allocates_nothing_per_message_after_the_handshake(bool autocork)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var loop = new Loop();
        Handle? server = null;
        long received = 0;
        var connected = false;
        using var accept = loop.Io(listener, IoDirection.Read, () =>
        {
            server = new Handle(loop, new SocketTransport(loop, listener.Accept()), new HandleOptions
            {
                Tls = TlsMode.Accept,
                TlsCtx = TestCertificates.Shared.ServerContext(),
                OnRead = h =>
                {
                    if (!connected && h.ReadBuffer.IndexOf((byte)0) >= 0)
                    {
                        connected = true;
                        h.PushWrite("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
                    }

                    received += h.ReadBuffer.Length;
                    h.Consume(h.ReadBuffer.Length);
                },
                OnEof = h => h.Dispose(),
            });
        });
        using var client = new StomperClient(new StomperOptions
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)listener.LocalEndPoint!).Port,
            Loop = loop,
            HandleParams = new HandleParams { Autocork = autocork, Tls = TlsMode.Connect, TlsCtx = TestCertificates.Shared.ClientContext() },
            OnError = err => Assert.Fail(err.Message),
        });
        RunUntil(loop, () => client.IsConnected);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = new string('x', 100) };
        for (var i = 0; i < 1_000; i++)
        {
            client.Send(send);
            if (i % 100 == 99)
            {
                RunUntil(loop, () => client.IsConnected && received > 0);
            }
        }

        var receivedBefore = received;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Sends; i++)
        {
            client.Send(send);
            if (i % 100 == 99)
            {
                loop.RunOnce(block: false);
            }
        }

        var target = receivedBefore + (Sends * 100L);
        RunUntil(loop, () => received >= target);
        var perSend = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Sends;
        Assert.That(received - receivedBefore, Is.GreaterThan(Sends * 100L), "the SENDs were decrypted by the server");
        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND, encryption and decryption included");
        server?.Dispose();
    }

    private static void RunUntil(Loop loop, Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!done())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "timed out");
            loop.RunOnce(block: false);
        }
    }
}
