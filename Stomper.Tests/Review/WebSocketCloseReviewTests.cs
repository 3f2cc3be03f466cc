using System.Net.Sockets;
using System.Net.WebSockets;
using EventLoop;
using NUnit.Framework;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Review;

/// <summary>Review of issue 15: what a WebSocket transport's Dispose leaves behind when the peer has stopped reading.</summary>
[TestFixture]
public sealed class WebSocketCloseReviewTests
{
    [Test]
    [CancelAfter(60_000)]
    public void Dispose_while_a_send_is_stuck_on_a_peer_that_stopped_reading_gives_the_connection_up_within_the_close_timeout()
    {
        using var peer = new HandMadeWebSocketServer();
        var port = peer.Port;
        var accepted = AcceptNotReadingAsync(peer);

        using var loop = new Loop();
        using var ticking = loop.Timer(0.02, 0.02, () => { });
        var transport = new WebSocketTransport(loop, new Uri($"ws://127.0.0.1:{port}/ws"));
        string? connectError = "pending";
        transport.Connect("127.0.0.1", port, e => connectError = e);
        while (connectError == "pending")
        {
            loop.RunOnce();
        }

        Assert.That(connectError, Is.Null);
        using var server = accepted.GetAwaiter().GetResult();

        // Fill the socket buffers of both sides until the transport takes nothing more: a
        // send is then in flight and cannot complete while the peer reads nothing.
        var chunk = new byte[16 * 1024];
        var idle = 0;
        while (idle < 50)
        {
            idle = transport.Send(chunk, 0, chunk.Length) == 0 ? idle + 1 : 0;
            loop.RunOnce();
        }

        var disposedAt = DateTime.UtcNow;
        transport.Dispose();

        // The peer reads only after the close timeout (5 s): by then a transport that gave the
        // connection up has closed it without a close frame; one still waiting on its stuck
        // send would now finish it and close normally, having held the socket all along.
        ticking.Dispose();
        loop.Dispose();
        Thread.Sleep(TimeSpan.FromSeconds(7));
        var last = LastMessageTypeAsync(server).GetAwaiter().GetResult();

        Assert.That(last, Is.Not.EqualTo(WebSocketMessageType.Close), $"the close frame was sent {DateTime.UtcNow - disposedAt} after Dispose: the transport held the socket past its close timeout");
    }

    /// <summary>What the peer reads once it reads again: the type of the last message, null when the connection ended without a close frame.</summary>
    private static async Task<WebSocketMessageType?> LastMessageTypeAsync(TcpClient server)
    {
        using var ws = WebSocket.CreateFromStream(server.GetStream(), isServer: true, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan);
        var buffer = new byte[256 * 1024];
        WebSocketMessageType? last = null;
        try
        {
            while (true)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var result = await ws.ReceiveAsync(buffer, timeout.Token);
                last = result.MessageType;
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
            // The connection ended without a close frame: given up.
            return null;
        }

        return last;
    }

    /// <summary>A peer that answers the upgrade by hand and then reads nothing.</summary>
    private static async Task<TcpClient> AcceptNotReadingAsync(HandMadeWebSocketServer peer)
    {
        var client = await peer.AcceptUpgradeAsync();
        client.ReceiveBufferSize = 64 * 1024;
        return client;
    }
}
