using Stomper.Chaos.Scenarios;

namespace Stomper.Chaos;

/// <summary>Every scenario asked for, in every mode asked for, with each mode's targets checked.</summary>
internal static class ChaosRun
{
    /// <summary>Every scenario, as make chaos runs them.</summary>
    public static IReadOnlyList<Scenario> Full(ChaosSettings settings) =>
    [
        new KillActive(settings.Kills),
        new PauseActive(),
        new KillBeforeSubscribeReceipt(),
        new FullOutage(),
        new CloseConnections(),
        new RestartIdle(),
    ];

    /// <summary>The short run inside make test: one kill -9 mid-stream and one close of every connection (about a minute).</summary>
    public static IReadOnlyList<Scenario> Short() => [new KillActive(1), new CloseConnections()];

    /// <summary>
    /// Runs them all; a scenario that could not be run (a broker that did not come back) is
    /// named in <c>Failures</c> and the next one runs from a healthy cluster again.
    /// </summary>
    public static (List<Figures> Figures, List<string> Failures) Run(ChaosSettings settings, IEnumerable<ChaosMode> modes, IReadOnlyList<Scenario> scenarios, TextWriter log)
    {
        var failures = new List<string>();
        var brokers = new BrokerControl(settings.RepositoryRoot);
        var runner = new ScenarioRunner(settings, brokers, log);
        var all = new List<Figures>();
        foreach (var mode in modes)
        {
            foreach (var scenario in scenarios)
            {
                Figures figures;
                try
                {
                    figures = runner.Run(scenario, mode);
                }
                catch (Exception e) when (e is ChaosRunException or BrokerCommandException)
                {
                    failures.Add($"{scenario.Name} in {mode} mode: {e.Message}");
                    log.WriteLine($"   COULD NOT BE RUN: {e.Message}");
                    continue;
                }

                if (mode.HasTargets)
                {
                    figures.Missed.AddRange(Targets.Missed(figures, scenario, mode.StallBound));
                    foreach (var missed in figures.Missed)
                    {
                        log.WriteLine($"   TARGET MISSED: {missed}");
                    }
                }

                all.Add(figures);
            }
        }

        return (all, failures);
    }
}
