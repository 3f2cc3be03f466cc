using System.Diagnostics;
using System.Globalization;

namespace Stomper.Bench;

/// <summary>
/// The <see cref="StompPeer"/> in a child process of this bench, so that the client's
/// process CPU time is the client's alone. The child lives until its standard input closes.
/// It listens twice: in plain TCP on <see cref="Port"/> and behind TLS on <see cref="TlsPort"/>,
/// with a server certificate for 127.0.0.1 signed by a CA made for the run (<see cref="CaFile"/>);
/// and the test kit's <see cref="Stomper.Testing.WebSocketGateway"/> relays STOMP over WebSocket
/// to the plain listener from <see cref="WebSocketUrl"/>, in the same child process.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _certificates;

    private PeerProcess(Process process, int port, int tlsPort, Uri webSocketUrl, DirectoryInfo certificates)
    {
        _process = process;
        Port = port;
        TlsPort = tlsPort;
        WebSocketUrl = webSocketUrl;
        _certificates = certificates;
    }

    public int Port { get; }

    public int TlsPort { get; }

    /// <summary>The gateway's <c>ws://</c> URL, in front of <see cref="Port"/>.</summary>
    public Uri WebSocketUrl { get; }

    /// <summary>The PEM file of the CA that signed the TLS listener's certificate: the client's <c>ca_file</c>.</summary>
    public string CaFile => Path.Combine(_certificates.FullName, "ca.pem");

    /// <param name="readBuffer">Each connection's first read buffer in the peer (see <see cref="StompPeer"/>).</param>
    public static PeerProcess Start(int readBuffer = 1 << 20)
    {
        var certificates = Directory.CreateTempSubdirectory("stomper-bench-tls-");
        var made = new Stomper.Testing.TestCertificates();
        Stomper.Testing.TestCertificates.WritePem(made.Ca, Path.Combine(certificates.FullName, "ca.pem"));
        Stomper.Testing.TestCertificates.WritePem(made.Server, Path.Combine(certificates.FullName, "server.pem"), Path.Combine(certificates.FullName, "server-key.pem"));
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Run as `dotnet Stomper.Bench.dll` or as the app host alike.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(PeerProcess).Assembly.Location);
        }

        info.ArgumentList.Add("peer");
        info.ArgumentList.Add(readBuffer.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(certificates.FullName);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the peer");
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The peer said nothing");
        var words = line.Split(' ');
        return new PeerProcess(process, int.Parse(words[1], CultureInfo.InvariantCulture), int.Parse(words[2], CultureInfo.InvariantCulture), new Uri(words[3]), certificates);
    }

    /// <summary>The child's side: serve until the parent closes our standard input.</summary>
    public static void Serve(int readBuffer, string certificates)
    {
        using var peer = new StompPeer(readBuffer: readBuffer);
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            Path.Combine(certificates, "server.pem"), Path.Combine(certificates, "server-key.pem"));
        using var tlsPeer = new StompPeer(readBuffer: readBuffer, certificate: certificate);
        using var gateway = new Stomper.Testing.WebSocketGateway("127.0.0.1", peer.Port).Start();
        Console.WriteLine($"PEER {peer.Port} {tlsPeer.Port} {gateway.Url}");
        Console.Out.Flush();
        while (Console.In.Read() >= 0)
        {
        }
    }

    /// <summary>The peer's CPU time so far (all its threads): what its side of a workload cost.</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
        {
            _process.Kill();
        }

        _process.Dispose();
        _certificates.Delete(recursive: true);
    }
}
