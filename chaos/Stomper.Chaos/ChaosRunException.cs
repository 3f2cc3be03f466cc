namespace Stomper.Chaos;

/// <summary>A scenario could not be run (a broker did not come back, the queue could not be declared): no figures, and the run fails.</summary>
internal sealed class ChaosRunException(string message) : Exception(message);
