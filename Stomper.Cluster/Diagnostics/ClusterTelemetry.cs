using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Stomper.Cluster;

/// <summary>What the cluster itself reports: failovers and retries. Its node clients report their connections.</summary>
internal sealed class ClusterTelemetry
{
    private readonly ILogger? _logger;
    private readonly StompInstruments _meters;

    public ClusterTelemetry(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _logger = loggerFactory?.CreateLogger<StomperCluster>();
        _meters = StompInstruments.From(meterFactory);
    }

    /// <summary>The active node moved on from <paramref name="failed"/> to <paramref name="active"/>.</summary>
    public void FailedOver(NodeState failed, NodeState active, StompError error)
    {
        if (_meters.Failovers.Enabled)
        {
            var tags = new TagList
            {
                { "server.address", failed.Address.Host },
                { "server.port", failed.Address.Port },
                { "error.type", error.Code.ToString() },
            };
            _meters.Failovers.Add(1, tags);
        }

        if (_logger is not null && _logger.IsEnabled(LogLevel.Warning))
        {
            ClusterLog.FailedOver(_logger, failed.Address.Host, failed.Address.Port, error.Code, error.Message, active.Address.Host, active.Address.Port);
        }
    }

    public void Retrying(string command, NodeState failed, NodeState active, int attempt, int nodes)
    {
        if (_logger is not null && _logger.IsEnabled(LogLevel.Information))
        {
            ClusterLog.Retrying(_logger, command, failed.Address.Host, failed.Address.Port, active.Address.Host, active.Address.Port, attempt, nodes);
        }
    }

    public void GaveUp(string command, NodeState node, StompError error)
    {
        if (_logger is not null && _logger.IsEnabled(LogLevel.Error))
        {
            ClusterLog.GaveUp(_logger, command, node.Address.Host, node.Address.Port, error.Message);
        }
    }

    public void Disposed(int pending)
    {
        if (pending > 0 && _logger is not null && _logger.IsEnabled(LogLevel.Warning))
        {
            ClusterLog.DisposedWithWork(_logger, pending);
        }
    }
}
