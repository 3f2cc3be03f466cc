namespace Stomper.Chaos.Scenarios;

/// <summary>RabbitMQ ends every session of the active node with an ERROR frame (<c>rabbitmqctl close_all_connections</c>); the node stays up.</summary>
internal sealed class CloseConnections : Scenario
{
    public override string Name => "close-connections";

    public override string Title => "RabbitMQ closes connections with an ERROR frame";

    public override void Run(ScenarioContext context)
    {
        var fault = context.Inflict("close_all_connections", context.Workload.ActivePort, context.Brokers.CloseConnections);
        AwaitRecovery(context, fault);
    }
}
