using System.Collections;
using System.Reflection;
using Stomper.Cluster;

namespace Stomper.Tests.Model;

/// <summary>
/// Reads the bookkeeping of the node clients and the cluster, which is private: the model
/// checks it is empty when the application has nothing pending. Found by field name, so
/// a rename shows here as a clear failure, not as a silently passing check.
/// </summary>
internal static class InternalTables
{
    /// <summary>Commands the node client has queued, written without answer, or awaiting a RECEIPT.</summary>
    public static int CommandsInFlight(StomperClient client) =>
        Count(client, "_queued") + Count(client, "_unwritten") + Count(client, "_awaitingReceipt");

    /// <summary>The ids in the node client's subscription table.</summary>
    public static IReadOnlyList<string> ClientSubscriptions(StomperClient client) => Keys(client, "_subscriptions");

    /// <summary>The ids in the cluster's subscription table.</summary>
    public static IReadOnlyList<string> ClusterSubscriptions(StomperCluster cluster) => Keys(cluster, "_subscriptions");

    private static int Count(object owner, string field) => ((ICollection)Read(owner, field)).Count;

    private static List<string> Keys(object owner, string field) =>
        [.. ((IDictionary)Read(owner, field)).Keys.Cast<string>().Order(StringComparer.Ordinal)];

    private static object Read(object owner, string field) =>
        owner.GetType().GetField(field, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(owner)
        ?? throw new InvalidOperationException($"{owner.GetType().Name} has no field {field} any more: update Model/InternalTables.cs");
}
