using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Stomper.Bench;

/// <summary>
/// Runs the workloads of issue 6 for Stomper and for stomp.py, prints each result's BENCH
/// line as it comes, and a table with the ratio to stomp.py at the end.
/// </summary>
internal sealed class Suite
{
    private readonly List<Result> _results = [];
    private readonly double _scale;

    /// <param name="scale">Multiplies every message count (1 for the counts; less for a quick look).</param>
    public Suite(double scale) => _scale = scale;

    private int Count(int full) => Math.Max(1000, (int)(full * _scale));

    /// <summary>Workloads 1 to 3 against the local peer, Stomper and stomp.py alike.</summary>
    public void Local()
    {
        using var peer = PeerProcess.Start();
        var target = BenchTarget.Single("127.0.0.1", peer.Port);
        var million = Count(1_000_000);
        var trips = Count(20_000);

        // One untimed run of each first, as long as the timed one: tiered JIT and dynamic PGO
        // need a few hundred milliseconds of steady work before the hot paths reach tier 1
        // (a consume run timed cold measured 1.5-1.8M msg/s against 3.2-3.6M warm).
        Workloads.Publish("warmup", target, new HandleParams(), million, "/queue/bench");
        Workloads.Publish("warmup", target, new HandleParams { Autocork = true }, million, "/queue/bench");
        Workloads.Consume("warmup", target, million);
        Workloads.Consume("warmup", target, million, "client-individual");
        Workloads.RoundTrip("warmup", target, trips);

        Add(RawSender.Publish("publish", "127.0.0.1", peer.Port, million, "/queue/bench"));
        Add(Workloads.Publish("publish", target, new HandleParams(), million, "/queue/bench"));
        Add(Workloads.Publish("publish", target with { Client = "Stomper-autocork" }, new HandleParams { Autocork = true }, million, "/queue/bench"));
        Add(StompPy.Run("publish", "127.0.0.1", peer.Port, million));
        Add(Workloads.Consume("consume", target, million));
        Add(StompPy.Run("consume", "127.0.0.1", peer.Port, million));
        Add(Workloads.Consume("consume-client-ack", target, million, "client-individual"));
        Add(Workloads.RoundTrip("roundtrip", target, trips));
        Add(StompPy.Run("roundtrip", "127.0.0.1", peer.Port, trips));
        AsyncFace(peer.Port, million, trips);

        // Workload 4: the same through the cluster client; stomp.py has no cluster
        // client, so its single-node figures are the baseline.
        var cluster = BenchTarget.Cluster("127.0.0.1", peer.Port);
        Workloads.Publish("warmup", cluster, new HandleParams { Autocork = true }, million, "/queue/bench");
        Workloads.Consume("warmup", cluster, million);
        Add(Workloads.Publish("cluster-publish", cluster, new HandleParams(), million, "/queue/bench"));
        Add(Workloads.Publish("cluster-publish", cluster with { Client = "Stomper.Cluster-autocork" }, new HandleParams { Autocork = true }, million, "/queue/bench"));
        Add(StompPy.Run("cluster-publish", "127.0.0.1", peer.Port, million));
        Add(Workloads.Consume("cluster-consume", cluster, million));
        Add(StompPy.Run("cluster-consume", "127.0.0.1", peer.Port, million));
        Journal(peer, million);
    }

    /// <summary>
    /// Issue 14: the cluster's send journal (every SEND receipted and kept until its RECEIPT)
    /// and a subscription's deduplication window, each beside the same cluster without it in
    /// this run. Publishing autocorks; the messages consumed carry a unique stomper-id either way.
    /// </summary>
    public void Journal(PeerProcess peer, int count)
    {
        var off = BenchTarget.Cluster("127.0.0.1", peer.Port);
        var on = BenchTarget.Cluster("127.0.0.1", peer.Port, journal: true);
        var dedup = off with { Client = "Stomper.Cluster+dedup" };
        var corked = new HandleParams { Autocork = true };
        Workloads.Publish("warmup", on, corked, count, "/queue/bench");
        Workloads.Consume("warmup", dedup, count, ids: true, window: 10_000);
        Add(Workloads.Publish("journal-publish", off, corked, count, "/queue/bench"));
        Add(Workloads.Publish("journal-publish", off with { Client = "Stomper.Cluster-receipts" }, corked, count, "/queue/bench", receipts: true));
        Add(Workloads.Publish("journal-publish", on, corked, count, "/queue/bench"));
        Add(Workloads.Consume("dedup-consume", off, count, ids: true));
        Add(Workloads.Consume("dedup-consume", dedup, count, ids: true, window: 10_000));
        Add(Workloads.Consume("dedup-consume-client-ack", off, count, "client-individual", ids: true));
        Add(Workloads.Consume("dedup-consume-client-ack", dedup, count, "client-individual", ids: true, window: 10_000));
    }

    /// <summary>Only the journal's workloads (issue 14), against a local peer of their own.</summary>
    public void Journal()
    {
        using var peer = PeerProcess.Start();
        Journal(peer, Count(1_000_000));
    }

    /// <summary>
    /// The TLS workloads (issue 11): publish (default and autocork), consume and the receipt
    /// round trip against the local peer behind TLS, each beside the same workload in
    /// plaintext in this run, so that the ratio compares like with like.
    /// </summary>
    public void Tls()
    {
        using var peer = PeerProcess.Start();
        var plain = BenchTarget.Single("127.0.0.1", peer.Port);
        var tls = BenchTarget.SingleTls("127.0.0.1", peer.TlsPort, peer.CaFile);
        var million = Count(1_000_000);
        var trips = Count(20_000);
        foreach (var target in new[] { plain, tls })
        {
            Workloads.Publish("warmup", target, new HandleParams { Autocork = true }, million / 2, "/queue/bench");
            Workloads.Consume("warmup", target, million / 2);
            Workloads.RoundTrip("warmup", target, trips / 2);
        }

        // Each workload in plaintext and then over TLS, back to back, so that a change in
        // the machine's load between workloads does not land on one side of a ratio only.
        foreach (var target in new[] { plain, tls })
        {
            Add(Workloads.Publish("tls-cmp-publish", target, new HandleParams(), million, "/queue/bench"));
        }

        foreach (var target in new[] { plain, tls })
        {
            Add(Workloads.Publish("tls-cmp-publish", target with { Client = target.Client + "-autocork" }, new HandleParams { Autocork = true }, million, "/queue/bench"));
        }

        foreach (var target in new[] { plain, tls })
        {
            Add(Workloads.Consume("tls-cmp-consume", target, million));
        }

        foreach (var target in new[] { plain, tls })
        {
            Add(WithPeerCpu(peer, trips, () => Workloads.RoundTrip("tls-cmp-roundtrip", target, trips)));
        }
    }

    /// <summary>
    /// Issue 13: publish (autocork), consume and the receipt round trip against the local
    /// peer with the diagnostics off, idle, metered and traced (<see cref="ObservabilityModes"/>),
    /// the modes of one workload back to back so that the machine's load falls on all alike.
    /// </summary>
    public void Observability()
    {
        using var peer = PeerProcess.Start();
        var target = BenchTarget.Single("127.0.0.1", peer.Port);
        var million = Count(1_000_000);
        var trips = Count(20_000);
        foreach (var mode in ObservabilityModes.All)
        {
            ObservabilityModes.In(mode, () => Workloads.Publish("warmup", target, new HandleParams { Autocork = true }, million / 2, "/queue/bench"));
            ObservabilityModes.In(mode, () => Workloads.Consume("warmup", target, million / 2));
        }

        AddBest(Rounds(() => Workloads.Publish("obs-publish", target with { Client = "Stomper-autocork" }, new HandleParams { Autocork = true }, million, "/queue/bench")));
        AddBest(Rounds(() => Workloads.Consume("obs-consume", target, million)));
        AddBest(Rounds(() => Workloads.RoundTrip("obs-roundtrip", target, trips)));
    }

    /// <summary>
    /// Three rounds of every mode, one after the other, so that a burst of load from the
    /// machine's other work lands on one run of one mode rather than on a whole mode.
    /// </summary>
    private static List<Result> Rounds(Func<Result?> run)
    {
        var results = new List<Result>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var mode in ObservabilityModes.All)
            {
                if (ObservabilityModes.In(mode, run) is { } result)
                {
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>
    /// Each mode's run of least CPU per message (the figure least moved by other processes on
    /// a shared machine), with its CPU as a percentage of the best run with the diagnostics off.
    /// </summary>
    private void AddBest(List<Result> results)
    {
        var best = results.GroupBy(r => r.Client).Select(g => g.MinBy(r => r.CpuSecondsPerMillion)!).ToList();
        var off = best.FirstOrDefault(r => r.Client.EndsWith("-obs-off", StringComparison.Ordinal));
        foreach (var result in best)
        {
            Add(off is null ? result : result with
            {
                Extra = new Dictionary<string, double>(result.Extra) { ["cpu_pct_of_off"] = 100 * result.CpuSecondsPerMillion / off.CpuSecondsPerMillion },
            });
        }
    }

    /// <summary>
    /// The WebSocket workloads (issue 15): consume and autocork publish through the
    /// WebSocket gateway in front of the local peer, each beside the same workload over plain
    /// TCP in this run. The gateway relays in the peer's process, so the client's CPU figures
    /// are the client's own; its hop adds latency the TCP run does not have.
    /// </summary>
    public void WebSocket()
    {
        using var peer = PeerProcess.Start();
        var plain = BenchTarget.Single("127.0.0.1", peer.Port);
        var ws = BenchTarget.SingleWebSocket(peer.WebSocketUrl);
        var million = Count(1_000_000);
        foreach (var target in new[] { plain, ws })
        {
            Workloads.Publish("warmup", target, new HandleParams { Autocork = true }, million / 2, "/queue/bench");
            Workloads.Consume("warmup", target, million / 2);
        }

        foreach (var target in new[] { plain, ws })
        {
            Add(Workloads.Consume("ws-cmp-consume", target, million));
        }

        foreach (var target in new[] { plain, ws })
        {
            Add(Workloads.Publish("ws-cmp-publish", target with { Client = target.Client + "-autocork" }, new HandleParams { Autocork = true }, million, "/queue/bench"));
        }
    }

    /// <summary>The async face's workloads alone, against the local peer (with the callback API's round trip to compare).</summary>
    public void Async()
    {
        using var peer = PeerProcess.Start();
        var target = BenchTarget.Single("127.0.0.1", peer.Port);
        var trips = Count(20_000);
        Workloads.RoundTrip("warmup", target, trips);
        Add(Workloads.RoundTrip("roundtrip", target, trips));
        AsyncFace(peer.Port, Count(1_000_000), trips);
    }

    /// <summary>Issue 12: SendAsync from 4 producers, consuming through IAsyncEnumerable, the receipted round trip.</summary>
    private void AsyncFace(int port, int million, int trips)
    {
        AsyncWorkloads.Publish("warmup", port, 4, million);
        AsyncWorkloads.Consume("warmup", port, million);
        AsyncWorkloads.RoundTrip("warmup", port, trips);
        Add(AsyncWorkloads.Publish("async-publish-4-producers", port, 4, million));
        Add(AsyncWorkloads.Consume("async-consume", port, million));
        Add(AsyncWorkloads.RoundTrip("roundtrip", port, trips));
    }

    /// <summary>One Stomper workload on the local peer, repeated: something steady to point a profiler at.</summary>
    public void Profile(string workload, int rounds)
    {
        using var peer = PeerProcess.Start();

        // "tls-consume" and the like: the same workload over TLS.
        var tls = workload.StartsWith("tls-", StringComparison.Ordinal);
        var target = tls ? BenchTarget.SingleTls("127.0.0.1", peer.TlsPort, peer.CaFile) : BenchTarget.Single("127.0.0.1", peer.Port);
        workload = tls ? workload[4..] : workload;
        for (var i = 0; i < rounds; i++)
        {
            Add(workload switch
            {
                "publish" => Workloads.Publish(workload, target, new HandleParams(), Count(1_000_000), "/queue/bench"),
                "publish-autocork" => Workloads.Publish(workload, target, new HandleParams { Autocork = true }, Count(1_000_000), "/queue/bench"),
                "consume" => Workloads.Consume(workload, target, Count(1_000_000)),
                "consume-client-ack" => Workloads.Consume(workload, target, Count(1_000_000), "client-individual"),

                // Issue 14's cluster workloads, each alone: the window or the journal against its own off.
                "dedup-consume" => Workloads.Consume(workload, Clustered(peer, "+dedup"), Count(1_000_000), ids: true, window: 10_000),
                "dedup-consume-off" => Workloads.Consume(workload, Clustered(peer, ""), Count(1_000_000), ids: true),
                "journal-publish" => Workloads.Publish(workload, BenchTarget.Cluster("127.0.0.1", peer.Port, journal: true), new HandleParams { Autocork = true }, Count(1_000_000), "/queue/bench"),
                "journal-publish-receipts" => Workloads.Publish(workload, Clustered(peer, "-receipts"), new HandleParams { Autocork = true }, Count(1_000_000), "/queue/bench", receipts: true),
                "journal-publish-off" => Workloads.Publish(workload, Clustered(peer, ""), new HandleParams { Autocork = true }, Count(1_000_000), "/queue/bench"),
                _ => WithPeerCpu(peer, Count(20_000), () => Workloads.RoundTrip(workload, target, Count(20_000))),
            });
        }
    }

    /// <summary>The cluster client over the local peer alone, named with <paramref name="suffix"/>.</summary>
    private static BenchTarget Clustered(PeerProcess peer, string suffix) =>
        BenchTarget.Cluster("127.0.0.1", peer.Port) with { Client = "Stomper.Cluster" + suffix };

    /// <summary>
    /// Workload 5: publishing to the real brokers, beside raw pre-encoded frames (the broker's
    /// own ceiling). Uses brokers already running; otherwise starts them and stops them after.
    /// </summary>
    public void Brokers(int count)
    {
        var started = false;
        if (!Listening(61613) || !Listening(61620))
        {
            started = true;
            if (!Script("start"))
            {
                Console.Error.WriteLine("broker workloads skipped: scripts/brokers.sh start failed");
                return;
            }
        }

        try
        {
            // A topic without subscribers: the broker takes and drops every message, so runs
            // leave nothing queued behind them.
            foreach (var (name, port, destination) in new[] { ("rabbitmq", 61613, "/topic/stomper-bench"), ("activemq", 61620, "/topic/stomper-bench") })
            {
                var workload = name + "-publish";
                var target = BenchTarget.Single("127.0.0.1", port, "guest", "guest");
                // Warm the broker (a JVM, or Erlang's allocators) as well as our JIT, so the
                // first client timed does not pay for the broker's start.
                RawSender.Publish("warmup", "127.0.0.1", port, count / 2, destination, "guest", "guest");
                Workloads.Publish("warmup", target, new HandleParams { Autocork = true }, count / 10, destination);
                Workloads.Publish("warmup", target, new HandleParams(), count / 10, destination);
                Add(RawSender.Publish(workload, "127.0.0.1", port, count, destination, "guest", "guest"));
                Add(Workloads.Publish(workload, target, new HandleParams(), count, destination));
                Add(Workloads.Publish(workload, target with { Client = "Stomper-autocork" }, new HandleParams { Autocork = true }, count, destination));
                Add(StompPy.Run(workload, "127.0.0.1", port, count, destination, "guest", "guest"));
            }
        }
        finally
        {
            if (started)
            {
                Script("stop");
            }
        }
    }

    /// <summary>The table: each result beside stomp.py's on the same workload (and, on brokers, the raw ceiling).</summary>
    public void PrintTable()
    {
        if (_results.Count == 0)
        {
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Cpu()}, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine();
        Console.WriteLine("| workload | client | msgs/s | CPU s per M msgs | alloc B/msg | x stomp.py | % of raw / of plaintext | extra |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in _results)
        {
            var py = _results.FirstOrDefault(o => o.Workload == r.Workload && o.Client == "stomp.py");
            var raw = _results.FirstOrDefault(o => o.Workload == r.Workload && o.Client == "raw");

            // A TLS or WebSocket client ("Stomper+tls-autocork", "Stomper+ws") beside the same
            // client in plaintext TCP ("Stomper-autocork"); a cluster with the journal or dedup
            // beside it without; a diagnostics mode ("Stomper-obs-tracing") beside the same
            // client with them off.
            var option = new[] { "+tls", "+ws", "+journal", "+dedup" }.FirstOrDefault(o => r.Client.Contains(o, StringComparison.Ordinal));
            var obs = r.Client.IndexOf("-obs-", StringComparison.Ordinal);
            var plain = option is not null
                ? _results.FirstOrDefault(o => o.Workload == r.Workload && o.Client == r.Client.Replace(option, string.Empty, StringComparison.Ordinal))
                : obs > 0 && !r.Client.EndsWith("-obs-off", StringComparison.Ordinal)
                ? _results.FirstOrDefault(o => o.Workload == r.Workload && o.Client == r.Client[..obs] + "-obs-off")
                : null;
            var ratio = py is null || r.Client == "stomp.py" ? "" : (r.MsgsPerSecond / py.MsgsPerSecond).ToString("F1", inv);
            var ofRaw = plain is not null
                ? (100 * r.MsgsPerSecond / plain.MsgsPerSecond).ToString(obs > 0 ? "F1" : "F0", inv)
                    + (option == "+tls" ? "% of plaintext" : option == "+ws" ? "% of TCP" : obs > 0 ? "% of obs-off" : "% of off")
                : raw is null || r.Client == "raw" ? "" : (100 * r.MsgsPerSecond / raw.MsgsPerSecond).ToString("F0", inv) + "%";
            var alloc = double.IsNaN(r.AllocBytesPerMsg) ? "n/a" : r.AllocBytesPerMsg.ToString("F1", inv);
            var extra = string.Join(" ", r.Extra.Select(e => string.Format(inv, "{0}={1:F1}", e.Key, e.Value)));
            Console.WriteLine(string.Format(inv, "| {0} | {1} | {2:N0} | {3:F3} | {4} | {5} | {6} | {7} |",
                r.Workload, r.Client, r.MsgsPerSecond, r.CpuSecondsPerMillion, alloc, ratio, ofRaw, extra));
        }
    }

    /// <summary>The peer's CPU per operation beside the client's (connection and handshake included): the other half of a round trip.</summary>
    private static Result? WithPeerCpu(PeerProcess peer, int operations, Func<Result?> run)
    {
        var before = peer.Cpu;
        var result = run();
        var spent = peer.Cpu - before;
        return result is null ? null : result with
        {
            Extra = new Dictionary<string, double>(result.Extra) { ["peer_cpu_us"] = spent.TotalMicroseconds / operations },
        };
    }

    private void Add(Result? result)
    {
        if (result is null)
        {
            return;
        }

        _results.Add(result);
        Console.WriteLine(result.BenchLine());
    }

    private static bool Listening(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Script(string verb)
    {
        var script = StompPy.Script is { } py ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(py)!, "..", "..", "scripts", "brokers.sh")) : "scripts/brokers.sh";
        using var process = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { script, verb }, UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    private static string Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
