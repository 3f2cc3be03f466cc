using System.Diagnostics;
using System.Globalization;

namespace Stomper.Bench;

/// <summary>
/// The <see cref="StompPeer"/> in a child process of this bench, so that the client's
/// process CPU time is the client's alone. The child lives until its standard input closes.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;

    private PeerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <param name="readBuffer">Each connection's first read buffer in the peer (see <see cref="StompPeer"/>).</param>
    public static PeerProcess Start(int readBuffer = 1 << 20)
    {
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
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the peer");
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The peer said nothing");
        return new PeerProcess(process, int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The child's side: serve until the parent closes our standard input.</summary>
    public static void Serve(int readBuffer)
    {
        using var peer = new StompPeer(readBuffer: readBuffer);
        Console.WriteLine($"PEER {peer.Port}");
        Console.Out.Flush();
        while (Console.In.Read() >= 0)
        {
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
    }
}
