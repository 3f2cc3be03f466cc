using EventLoop;
using Stomper.Cluster;

namespace Stomper.Bench;

/// <summary>
/// What a workload needs of a client: commands by name and a close. The single-node
/// client and (later) the cluster client each get a one-line adapter, so every workload
/// runs unchanged through either.
/// </summary>
internal interface IBenchClient : IDisposable
{
    void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null);
}

/// <summary>Makes a client on a loop, with the handle parameters the workload asks for.</summary>
internal delegate IBenchClient ClientFactory(Loop loop, HandleParams handleParams);

/// <summary>A client under test: its name in the results and how to make one.</summary>
internal sealed record BenchTarget(string Client, ClientFactory Create)
{
    /// <summary>The single-node <see cref="StomperClient"/> against one host and port.</summary>
    public static BenchTarget Single(string host, int port, string? login = null, string? passcode = null) =>
        new("Stomper", (loop, handleParams) => new SingleNode(new StomperClient(new StomperOptions
        {
            Host = host,
            Port = port,
            Login = login,
            Passcode = passcode,
            Loop = loop,
            HandleParams = handleParams,
            OnError = error => Console.Error.WriteLine($"bench client error: {error.Message}"),
        })));

    /// <summary>The single-node client over TLS, trusting the CA in <paramref name="caFile"/> only; the workload's handle parameters otherwise.</summary>
    public static BenchTarget SingleTls(string host, int port, string caFile) =>
        new("Stomper+tls", (loop, handleParams) => new SingleNode(new StomperClient(new StomperOptions
        {
            Host = host,
            Port = port,
            Loop = loop,
            HandleParams = new HandleParams
            {
                Autocork = handleParams.Autocork,
                Linger = handleParams.Linger,
                NoDelay = handleParams.NoDelay,
                KeepAlive = handleParams.KeepAlive,
                ReadSize = handleParams.ReadSize,
                WbufMax = handleParams.WbufMax,
                Tls = TlsMode.Connect,
                TlsCtx = new TlsContext { CaFile = caFile },
            },
            OnError = error => Console.Error.WriteLine($"bench client error: {error.Message}"),
        })));

    /// <summary>The single-node client over STOMP-over-WebSocket to <paramref name="url"/>; the workload's handle parameters.</summary>
    public static BenchTarget SingleWebSocket(Uri url) =>
        new("Stomper+ws", (loop, handleParams) => new SingleNode(new StomperClient(new StomperOptions
        {
            Url = url,
            Loop = loop,
            HandleParams = handleParams,
            OnError = error => Console.Error.WriteLine($"bench client error: {error.Message}"),
        })));

    /// <summary>The cluster client over one node, so that its own cost shows against the single-node client's.</summary>
    /// <param name="journal">With issue 14's send journal (every SEND receipted and kept until its RECEIPT): the client is named "+journal".</param>
    public static BenchTarget Cluster(string host, int port, bool journal = false) =>
        new(journal ? "Stomper.Cluster+journal" : "Stomper.Cluster", (loop, handleParams) => new ClusterNodes(new StomperCluster(new ClusterOptions
        {
            Nodes = [new ClusterNode(host, port)],
            Loop = loop,
            HandleParams = handleParams,
            SendJournal = journal ? new SendJournalOptions() : null,
            OnError = error => Console.Error.WriteLine($"bench cluster error: {error.Message}"),
        })));

    private sealed class ClusterNodes(StomperCluster cluster) : IBenchClient
    {
        public void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) =>
            cluster.Execute(command, parameters, onReceipt);

        public void Dispose() => cluster.Dispose();
    }

    private sealed class SingleNode(StomperClient client) : IBenchClient
    {
        public void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) =>
            client.Execute(command, parameters, onReceipt);

        public void Dispose() => client.Dispose();
    }
}
