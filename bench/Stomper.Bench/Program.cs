using System.Globalization;
using Stomper.Bench;

// Benchmarks are programs, not tests: they measure and print, they assert nothing.
//   all [scale]      loop benchmarks, workloads 1-5 (Stomper and stomp.py), the TLS workloads, the scale workload, micro-benchmarks
//   local [scale]    workloads 1-4 against the local peer only, and the TLS and WebSocket workloads
//   tls [scale]      the TLS workloads only, beside the same workloads in plaintext
//   ws [scale]       the WebSocket workloads only (consume, autocork publish), beside the same over TCP
//   brokers [scale]  workload 5 against RabbitMQ and ActiveMQ only
//   async [scale]    the async face's workloads (issue 12) against the local peer only
//   obs [scale]      issue 13: publish, consume, round trip with the diagnostics off, idle, metered, traced
//   journal [scale]  issue 14: publish with the send journal, consume with dedup, each beside off (also in local)
//   loop | micro     the loop benchmarks, or the BenchmarkDotNet micro-benchmarks
//   scale [scale]    issue 16: round trip and consume beside 0-5,000 idle watched sockets, 1,000 clients on one loop
//   profile W [n] [scale]  one Stomper workload n times (publish, publish-autocork, consume, consume-client-ack, roundtrip; tls-<workload> over TLS; the cluster's dedup-consume[-off], journal-publish[-receipts|-off])
//   send-floor [sends] [rounds]  the client's CPU per SEND over a sink transport (no kernel), in rounds
//   tls-floor [trips]  the CPU of a round trip's four TLS records over an in-memory pair: SslStream alone, then TlsTransport (blocks of trips, alternately)
//   peer             (internal) serve the minimal STOMP peer until standard input closes
var what = args.Length > 0 ? args[0] : "all";
var scale = args.Length > 1 && what is not ("profile" or "micro" or "peer") ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0;
if (what == "profile")
{
    // profile <workload> [rounds] [scale]: one workload again and again, for perf record.
    var profiling = new Suite(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1.0);
    profiling.Profile(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
    return;
}

if (what == "send-floor")
{
    // send-floor [sends] [rounds]: the client's CPU per SEND over a sink transport, no kernel.
    SendFloor.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000_000, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
    return;
}

if (what == "tls-floor")
{
    TlsFloor.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000);
    return;
}

if (what == "peer")
{
    PeerProcess.Serve(int.Parse(args[1], CultureInfo.InvariantCulture), args[2]);
    return;
}

Console.WriteLine($"Stomper benchmarks on {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (what is "all" or "loop")
{
    LoopBenchmarks.Run();
}

var suite = new Suite(scale);
if (what is "all" or "local")
{
    suite.Local();
}

if (what is "all" or "local" or "tls")
{
    suite.Tls();
}

if (what is "all" or "obs")
{
    suite.Observability();
}

if (what is "all" or "local" or "ws")
{
    suite.WebSocket();
}

if (what is "all" or "scale")
{
    ScaleWorkloads.Run(scale);
}

if (what == "async")
{
    suite.Async();
}

if (what == "journal")
{
    suite.Journal();
}

if (what is "all" or "brokers")
{
    // 100,000 per run, as in docs/brokers.md: at the brokers' ~50k msg/s a million would
    // take minutes per client and pile up in their memory for no better figure.
    suite.Brokers(Math.Max(1000, (int)(100_000 * scale)));
}

suite.PrintTable();

if (what is "all" or "micro")
{
    MicroBenchmarks.Run(what == "micro" ? args.Skip(1).ToArray() : []);
}
