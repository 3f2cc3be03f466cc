using Stomper.Chaos;

// make chaos (docs/chaos.md): fault scenarios on the real three-node RabbitMQ cluster of
// scripts/brokers.sh, which must be running (make chaos starts it).
//   Stomper.Chaos [original|reliable|both] [all|short|SCENARIO...]
// Exit status: 0 when every target of the modes run was met (original mode has none),
// 1 when one was missed, 2 when a scenario could not be run.
var modeName = args.Length > 0 ? args[0] : "both";
var modes = modeName == "both" ? ChaosMode.All : ChaosMode.All.Where(m => m.Name == modeName).ToList();
if (modes.Count == 0)
{
    Console.Error.WriteLine($"unknown mode '{modeName}': {string.Join(", ", ChaosMode.All.Select(m => m.Name))} or both");
    return 2;
}

var settings = ChaosSettings.FromEnvironment(ChaosSettings.FindRepositoryRoot(AppContext.BaseDirectory));
var names = args.Skip(1).ToList();
var full = ChaosRun.Full(settings);
var scenarios = names.Count == 0 || names is ["all"] ? full
    : names is ["short"] ? ChaosRun.Short()
    : [.. names.Select(n => full.FirstOrDefault(s => s.Name == n) ?? throw new ArgumentException(
        $"unknown scenario '{n}': all, short, {string.Join(", ", full.Select(s => s.Name))}"))];
Console.WriteLine($"Stomper chaos: {string.Join(", ", modes)} mode(s), nodes {string.Join(", ", settings.Nodes)}, seed {settings.Seed} (STOMPER_CHAOS_SEED repeats it)");
var (figures, failures) = ChaosRun.Run(settings, modes, scenarios, Console.Out);
Report.Table(figures, Console.Out);
foreach (var failure in failures)
{
    Console.Error.WriteLine($"chaos: could not be run: {failure}");
}

return failures.Count > 0 ? 2 : figures.Any(f => f.Missed.Count > 0) ? 1 : 0;
