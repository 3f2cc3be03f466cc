namespace Stomper.Chaos;

/// <summary>A scripts/brokers.sh command failed or outlasted its time; the message carries what the script printed.</summary>
internal sealed class BrokerCommandException(string message) : InvalidOperationException(message);
