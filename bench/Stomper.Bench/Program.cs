using Stomper.Bench;

// Benchmarks are programs, not tests: they measure and print, they assert nothing.
var what = args.Length > 0 ? args[0] : "all";
Console.WriteLine($"Stomper benchmarks on {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (what is "all" or "loop")
{
    LoopBenchmarks.Run();
}
