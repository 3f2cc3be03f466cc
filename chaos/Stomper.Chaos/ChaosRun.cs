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

    public static List<Figures> Run(ChaosSettings settings, IEnumerable<ChaosMode> modes, IReadOnlyList<Scenario> scenarios, TextWriter log)
    {
        var brokers = new BrokerControl(settings.RepositoryRoot);
        var runner = new ScenarioRunner(settings, brokers, log);
        var all = new List<Figures>();
        foreach (var mode in modes)
        {
            foreach (var scenario in scenarios)
            {
                var figures = runner.Run(scenario, mode);
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

        return all;
    }
}
