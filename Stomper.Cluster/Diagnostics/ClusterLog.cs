using Microsoft.Extensions.Logging;

namespace Stomper.Cluster;

/// <summary>
/// The cluster's log events (category <c>Stomper.Cluster.StomperCluster</c>), ids
/// 2001-2099, stable. Each node client logs its own connection under
/// <c>Stomper.StomperClient</c> through the same factory.
/// </summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Failover: node {FailedHost}:{FailedPort} failed ({Code}: {Reason}); the active node is now {ActiveHost}:{ActivePort}")]
    public static partial void FailedOver(ILogger logger, string failedHost, int failedPort, ErrorCode code, string reason, string activeHost, int activePort);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{Command} failed on {FailedHost}:{FailedPort}; running it again on {ActiveHost}:{ActivePort} (attempt {Attempt} of {Nodes})")]
    public static partial void Retrying(ILogger logger, string command, string failedHost, int failedPort, string activeHost, int activePort, int attempt, int nodes);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "{Command} failed on {Host}:{Port} and is not run again: {Reason}")]
    public static partial void GaveUp(ILogger logger, string command, string host, int port, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Cluster disposed with {Count} command(s) pending; each is answered with an error")]
    public static partial void DisposedWithWork(ILogger logger, int count);
}
