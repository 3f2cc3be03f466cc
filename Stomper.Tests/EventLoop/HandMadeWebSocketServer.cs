using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// A loopback listener whose upgrade is written by hand, for the WebSocket transport's tests:
/// it can answer what no real server (nor the test kit's gateway) answers, stall, or hang up
/// at any byte.
/// </summary>
internal sealed class HandMadeWebSocketServer : IDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public HandMadeWebSocketServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    public Uri Url => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>The next connection, nothing read from it.</summary>
    public Task<TcpClient> AcceptTcpAsync() => _listener.AcceptTcpClientAsync();

    /// <summary>The next connection, its upgrade request read (a client that sent none fails the task).</summary>
    public async Task<(TcpClient Client, string Request)> AcceptAsync()
    {
        var client = await _listener.AcceptTcpClientAsync();
        return (client, await ReadRequestAsync(client.GetStream()));
    }

    /// <summary>The next connection with its upgrade answered by a 101 choosing <paramref name="subprotocol"/>.</summary>
    public async Task<TcpClient> AcceptUpgradeAsync(string? subprotocol = null)
    {
        var (client, request) = await AcceptAsync();
        await client.GetStream().WriteAsync(SwitchingProtocols(request, subprotocol));
        return client;
    }

    /// <summary>The next connection upgraded, with .NET's own server side of the WebSocket over it.</summary>
    public async Task<WebSocket> AcceptWebSocketAsync(string? subprotocol = null)
    {
        var client = await AcceptUpgradeAsync(subprotocol);
        return WebSocket.CreateFromStream(client.GetStream(), isServer: true, subprotocol, keepAliveInterval: Timeout.InfiniteTimeSpan);
    }

    /// <summary>The 101 answer to <paramref name="request"/>, choosing <paramref name="subprotocol"/> when given.</summary>
    public static byte[] SwitchingProtocols(string request, string? subprotocol = null)
    {
        var key = request.Split("\r\n")
            .First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
#pragma warning disable CA5350 // RFC 6455 names SHA-1 for the accept key.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
        var chosen = subprotocol is null ? string.Empty : $"Sec-WebSocket-Protocol: {subprotocol}\r\n";
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{chosen}\r\n");
    }

    public void Dispose() => _listener.Dispose();

    private static async Task<string> ReadRequestAsync(Stream stream)
    {
        var request = new StringBuilder();
        var one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("upgrade request cut short");
            }

            request.Append((char)one[0]);
        }

        return request.ToString();
    }
}
