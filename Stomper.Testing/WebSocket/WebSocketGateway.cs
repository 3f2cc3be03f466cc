using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Stomper.Testing;

/// <summary>
/// A STOMP-over-WebSocket endpoint on loopback for tests: it accepts WebSocket upgrades and
/// relays each connection's bytes to a STOMP server over TCP (a <see cref="FakeBroker"/>, say),
/// as RabbitMQ's Web-STOMP plugin sits before its STOMP adapter. Its options produce what a
/// real server will not on demand: refused upgrades, a missing or wrong subprotocol, a stalled
/// handshake, frames split across messages, a close frame mid-frame.
/// </summary>
/// <remarks>Runs on the thread pool, never on a client's loop; the handshake is written here because .NET offers the server side of the upgrade only inside ASP.NET Core.</remarks>
public sealed class WebSocketGateway : IDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static readonly string[] Known = ["v12.stomp", "v11.stomp", "v10.stomp"];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _backendHost;
    private readonly int _backendPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<WebSocketUpgradeRequest> _requests = [];
    private readonly List<Relay> _relays = [];
    private readonly List<Exception> _faults = [];

    /// <summary>A gateway to the STOMP server at <paramref name="backendHost"/>:<paramref name="backendPort"/>; <see cref="Start"/> it.</summary>
    public WebSocketGateway(string backendHost, int backendPort, WebSocketGatewayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backendHost);
        _backendHost = backendHost;
        _backendPort = backendPort;
        Options = options ?? new WebSocketGatewayOptions();
    }

    /// <summary>A gateway in front of <paramref name="broker"/>.</summary>
    public WebSocketGateway(FakeBroker broker, WebSocketGatewayOptions? options = null)
        : this((broker ?? throw new ArgumentNullException(nameof(broker))).Host, broker.Port, options)
    {
    }

    /// <summary>The behaviour, changeable while running.</summary>
    public WebSocketGatewayOptions Options { get; }

    /// <summary>The port listened on (loopback).</summary>
    public int Port { get; private set; }

    /// <summary>The URL a client connects to: <c>ws://127.0.0.1:port/ws</c> (<c>wss://localhost:port/ws</c> with a certificate).</summary>
    public Uri Url => Options.Certificate is null
        ? new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ws://127.0.0.1:{Port}{Options.Path}"))
        : new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"wss://localhost:{Port}{Options.Path}"));

    /// <summary>The upgrade requests read so far, in order.</summary>
    public IReadOnlyList<WebSocketUpgradeRequest> Requests => Locked(() => _requests.ToArray());

    /// <summary>How many upgraded connections are relaying now.</summary>
    public int OpenConnections => Locked(() => _relays.Count);

    /// <summary>Unexpected failures of the gateway itself (not the clients' disconnects).</summary>
    public IReadOnlyList<Exception> Faults => Locked(() => _faults.ToArray());

    /// <summary>Starts listening; returns this.</summary>
    public WebSocketGateway Start()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
        return this;
    }

    /// <summary>Sends every open connection a close frame with <see cref="WebSocketGatewayOptions.CloseStatus"/> and its reason.</summary>
    public void CloseAll()
    {
        foreach (var relay in Locked(() => _relays.ToArray()))
        {
            _ = relay.CloseAsync(Options.CloseStatus, Options.CloseReason);
        }
    }

    /// <summary>Drops every open connection without a close frame, as a dying server does.</summary>
    public void AbortAll()
    {
        foreach (var relay in Locked(() => _relays.ToArray()))
        {
            relay.Abort();
        }
    }

    /// <summary>Stops listening and drops every connection.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        AbortAll();
        _stop.Dispose();
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (Options.Certificate is { } certificate)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _stop.Token).ConfigureAwait(false);
                stream = ssl;
            }

            var request = await ReadRequestAsync(stream).ConfigureAwait(false);
            if (request is null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }

            lock (_gate)
            {
                _requests.Add(request);
            }

            if (Options.NeverAnswer)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
                return;
            }

            var refusal = Options.RefuseWith ?? (request.Path.Split('?')[0] == Options.Path ? null : 404);
            if (refusal is { } status)
            {
                var reason = Enum.IsDefined((HttpStatusCode)status) ? ((HttpStatusCode)status).ToString() : "Refused";
                await WriteAsync(stream, $"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }

            var subprotocol = Options.Subprotocol ?? request.Subprotocols.FirstOrDefault(Known.Contains);
            var key = request.Headers.GetValueOrDefault("sec-websocket-key", string.Empty);
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
            await WriteAsync(
                stream,
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {accept}\r\n"
                + (string.IsNullOrEmpty(subprotocol) ? string.Empty : $"Sec-WebSocket-Protocol: {subprotocol}\r\n")
                + "\r\n").ConfigureAwait(false);
            var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = string.IsNullOrEmpty(subprotocol) ? null : subprotocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
            var backend = new TcpClient { NoDelay = true };
            await backend.ConnectAsync(_backendHost, _backendPort, _stop.Token).ConfigureAwait(false);
            var relay = new Relay(this, ws, backend);
            lock (_gate)
            {
                _relays.Add(relay);
            }

            await relay.RunAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _relays.Remove(relay);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or WebSocketException or System.Security.Authentication.AuthenticationException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads the request up to its blank line, a byte at a time: nothing after it may be consumed, it belongs to the WebSocket.</summary>
    private static async Task<WebSocketUpgradeRequest?> ReadRequestAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 16 * 1024)
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
            {
                return null;
            }

            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r')
            {
                break;
            }
        }

        var lines = Encoding.ASCII.GetString([.. bytes]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var path = lines[0].Split(' ') is [_, var target, ..] ? target : "/";
        var headers = new Dictionary<string, string>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim().ToLowerInvariant();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var before) ? $"{before}, {value}" : value;
            }
        }

        return new WebSocketUpgradeRequest(path, headers);
    }

    private static async Task WriteAsync(Stream stream, string text)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text)).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    private void Fault(Exception e)
    {
        lock (_gate)
        {
            _faults.Add(e);
        }
    }

    /// <summary>One upgraded connection and its backend: two pumps, one send at a time.</summary>
    private sealed class Relay(WebSocketGateway gateway, WebSocket ws, TcpClient backend)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private int _framesSeen;
        private int _midFrameLeft = -1;

        public async Task RunAsync()
        {
            await Task.WhenAll(ClientToBackendAsync(), BackendToClientAsync()).ConfigureAwait(false);
            ws.Dispose();
            backend.Dispose();
        }

        public async Task CloseAsync(WebSocketCloseStatus status, string reason)
        {
            await _sending.WaitAsync().ConfigureAwait(false);
            try
            {
                if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await ws.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
            {
                // The client is gone already.
            }
            finally
            {
                _sending.Release();
                backend.Dispose();
            }
        }

        public void Abort()
        {
            ws.Abort();
            backend.Dispose();
        }

        private async Task ClientToBackendAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                var tcp = backend.GetStream();
                while (true)
                {
                    var result = await ws.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty).ConfigureAwait(false);
                        return;
                    }

                    await tcp.WriteAsync(buffer.AsMemory(0, result.Count)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException or SocketException)
            {
                backend.Dispose();
            }
        }

        private async Task BackendToClientAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                var tcp = backend.GetStream();
                while (true)
                {
                    var n = await tcp.ReadAsync(buffer).ConfigureAwait(false);
                    if (n == 0)
                    {
                        // The STOMP server hung up: a close frame, as Web-STOMP sends one.
                        await CloseAsync(WebSocketCloseStatus.NormalClosure, "STOMP connection closed").ConfigureAwait(false);
                        return;
                    }

                    if (!await RelayAsync(buffer.AsMemory(0, n)).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException or SocketException)
            {
                ws.Abort();
            }
        }

        /// <summary>Sends what the backend sent, split and cut as the options say; false once a close frame was sent instead.</summary>
        private async Task<bool> RelayAsync(ReadOnlyMemory<byte> data)
        {
            var options = gateway.Options;
            var length = data.Length;
            if (options.CloseAfterFrames is { } frames)
            {
                length = CutForClose(data.Span, frames, options.CloseMidFrameBytes);
            }

            var split = options.SplitAt > 0 ? options.SplitAt : int.MaxValue;
            for (var at = 0; at < length; at += split)
            {
                await _sending.WaitAsync().ConfigureAwait(false);
                try
                {
                    await ws.SendAsync(data.Slice(at, Math.Min(split, length - at)), WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    _sending.Release();
                }
            }

            if (length < data.Length || _midFrameLeft == 0)
            {
                await CloseAsync(options.CloseStatus, options.CloseReason).ConfigureAwait(false);
                return false;
            }

            return true;
        }

        /// <summary>How much of <paramref name="data"/> goes before the close frame asked for mid-frame.</summary>
        private int CutForClose(ReadOnlySpan<byte> data, int frames, int midFrameBytes)
        {
            for (var i = 0; i < data.Length; i++)
            {
                if (_midFrameLeft >= 0)
                {
                    if (_midFrameLeft == 0)
                    {
                        return i;
                    }

                    _midFrameLeft--;
                    continue;
                }

                if (data[i] == 0 && ++_framesSeen == frames)
                {
                    _midFrameLeft = midFrameBytes;
                }
            }

            return data.Length;
        }
    }
}
