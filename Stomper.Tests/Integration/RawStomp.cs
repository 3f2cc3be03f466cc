using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Stomper.Tests.Integration;

/// <summary>A STOMP frame as the test helper reads it.</summary>
public sealed record RawFrame(string Command, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString() =>
        $"{Command} {string.Join(", ", Headers.Select(h => $"{h.Key}:{h.Value}"))} {Body}";
}

/// <summary>
/// A deliberately tiny STOMP 1.2 speaker for tests only: it proves the broker set-up
/// before the project's client exists. No header escaping, no heart-beats, and a body
/// ends at the first NUL (content-length is not honoured): keep test values simple.
/// Over TLS it is plain <see cref="SslStream"/>, so it proves the brokers' TLS set-up
/// apart from the project's own TLS.
/// </summary>
public sealed class RawStomp : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[8192];

    private RawStomp(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    /// <summary>
    /// SslStream's options for the brokers' TLS listeners: their certificate must chain to
    /// <paramref name="caFile"/> alone and name <paramref name="targetHost"/>; the client
    /// certificate goes along when <paramref name="clientCertificate"/> is true.
    /// </summary>
    public static SslClientAuthenticationOptions TlsOptions(string caFile, string targetHost = "127.0.0.1", bool clientCertificate = false)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.ImportFromPemFile(caFile);
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            CertificateChainPolicy = policy,
            ClientCertificates = clientCertificate
                ? [X509Certificate2.CreateFromPemFile(Brokers.ClientCertFile, Brokers.ClientKeyFile)]
                : null,
        };
    }

    /// <summary>
    /// Opens TCP (then TLS with <paramref name="tls"/>) and exchanges CONNECT/CONNECTED;
    /// throws when the broker answers otherwise or the handshake fails.
    /// </summary>
    public static async Task<RawStomp> ConnectAsync(Endpoint endpoint, TimeSpan timeout, SslClientAuthenticationOptions? tls = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            Stream stream;
            using (var cts = new CancellationTokenSource(timeout))
            {
                await tcp.ConnectAsync(endpoint.Host, endpoint.Port, cts.Token);
                stream = tcp.GetStream();
                if (tls is not null)
                {
                    var ssl = new SslStream(stream);
                    stream = ssl;
                    await ssl.AuthenticateAsClientAsync(tls, cts.Token);
                }
            }
            var stomp = new RawStomp(tcp, stream);
            await stomp.WriteAsync("CONNECT", [
                ("accept-version", "1.2"), ("host", "/"),
                ("login", Brokers.Login), ("passcode", Brokers.Passcode), ("heart-beat", "0,0")]);
            var answer = await stomp.ReadAsync(timeout)
                ?? throw new TimeoutException($"{endpoint}: no answer to CONNECT within {timeout}");
            if (answer.Command != "CONNECTED")
            {
                throw new InvalidOperationException($"{endpoint}: CONNECT answered with {answer}");
            }
            return stomp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>True when the endpoint answers CONNECT with CONNECTED within the time given.</summary>
    public static async Task<bool> AnswersConnectAsync(Endpoint endpoint, TimeSpan timeout)
    {
        try
        {
            using var stomp = await ConnectAsync(endpoint, timeout);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or SocketException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    public Task SubscribeAsync(string destination, string id, params (string Name, string Value)[] headers) =>
        WriteAsync("SUBSCRIBE", [("destination", destination), ("id", id), ("ack", "auto"), .. headers]);

    public Task SendAsync(string destination, string body, params (string Name, string Value)[] headers) =>
        WriteAsync("SEND", [("destination", destination), ("content-type", "text/plain"), .. headers], body);

    public async Task WriteAsync(string command, IEnumerable<(string Name, string Value)> headers, string body = "")
    {
        var text = new StringBuilder(command).Append('\n');
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(':').Append(value).Append('\n');
        }
        text.Append('\n').Append(body).Append('\0');
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>The next frame, or null when none arrives within the time given.</summary>
    public async Task<RawFrame?> ReadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var nul = _pending.IndexOf(0);
            if (nul >= 0)
            {
                var bytes = _pending.GetRange(0, nul).ToArray();
                _pending.RemoveRange(0, nul + 1);
                var frame = Parse(Encoding.UTF8.GetString(bytes));
                if (frame is not null)
                {
                    return frame;
                }
                continue;
            }
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            if (read == 0)
            {
                throw new IOException("the broker closed the connection");
            }
            _pending.AddRange(_buffer.AsSpan(0, read));
        }
    }

    /// <summary>Reads until a frame with this command arrives; an ERROR frame or the timeout throws.</summary>
    public async Task<RawFrame> ExpectAsync(string command, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var frame = left > TimeSpan.Zero ? await ReadAsync(left) : null;
            if (frame is null)
            {
                throw new TimeoutException($"no {command} within {timeout}");
            }
            if (frame.Command == command)
            {
                return frame;
            }
            if (frame.Command == "ERROR")
            {
                throw new InvalidOperationException($"broker sent {frame}");
            }
        }
    }

    private static RawFrame? Parse(string text)
    {
        text = text.TrimStart('\r', '\n'); // heart-beats between frames
        if (text.Length == 0)
        {
            return null;
        }
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var body = split < 0 ? "" : text[(split + 2)..];
        var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var headers = new Dictionary<string, string>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.TryAdd(line[..colon], line[(colon + 1)..]); // the first occurrence counts
            }
        }
        return new RawFrame(lines[0], headers, body);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
