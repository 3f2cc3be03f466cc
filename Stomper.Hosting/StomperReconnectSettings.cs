namespace Stomper.Hosting;

/// <summary><see cref="ReconnectPolicy"/> as configuration, intervals in seconds: <c>"ReconnectPolicy": { "BaseDelay": 0.1, "MaxDelay": 1.5 }</c>; unset values keep the policy's defaults.</summary>
public sealed class StomperReconnectSettings
{
    /// <summary><see cref="ReconnectPolicy.BaseDelay"/> in seconds (default 0.1).</summary>
    public double? BaseDelay { get; set; }

    /// <summary><see cref="ReconnectPolicy.Multiplier"/> (default 2).</summary>
    public double? Multiplier { get; set; }

    /// <summary><see cref="ReconnectPolicy.MaxDelay"/> in seconds (default 1.5).</summary>
    public double? MaxDelay { get; set; }

    /// <summary><see cref="ReconnectPolicy.MaxAttempts"/> (default: never give up).</summary>
    public int? MaxAttempts { get; set; }

    /// <summary><see cref="ReconnectPolicy.MaxWaitingCommands"/> (default 10,000).</summary>
    public int? MaxWaitingCommands { get; set; }
}
