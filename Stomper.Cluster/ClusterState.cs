namespace Stomper.Cluster;

/// <summary>
/// Where the cluster is in its life. Every path that runs a command, retries one or
/// hands a node's report on asks this first, so that a <c>force_disconnect</c> or a
/// <c>Dispose</c> called from inside a callback is obeyed by the work already under way.
/// </summary>
internal enum ClusterState
{
    /// <summary>Commands run, failed ones are retried on the next node.</summary>
    Running,

    /// <summary>Inside <c>ForceDisconnect</c>: the nodes are closing; nothing issued before it is retried.</summary>
    Closing,

    /// <summary>Disposed: commands throw, and whatever the nodes still report is dropped.</summary>
    Disposed,
}
