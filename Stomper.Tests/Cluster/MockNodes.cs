using Moq;
using Stomper.Cluster;

namespace Stomper.Tests.Cluster;

/// <summary>A cluster over Moq node clients: each node records the commands it was given and exposes the options the cluster built it with.</summary>
internal sealed class MockNodes
{
    public MockNodes(int count, int seed = 1, Func<ClusterOptions, ClusterOptions>? configure = null)
    {
        var options = new ClusterOptions
        {
            Nodes = [.. Enumerable.Range(1, count).Select(i => new ClusterNode($"node{i}", 61612 + i))],
            Random = new Random(seed),
            Loop = new global::EventLoop.Loop(Clock),
            NodeFactory = o =>
            {
                var node = new Node(o);
                Nodes.Add(node);
                return node.Mock.Object;
            },
            OnNodeError = (err, host, port) => Trace.Add($"on_node_error {host}: {err.Message}"),
            OnError = err => Trace.Add("on_error: " + err.Message),
        };
        Cluster = new StomperCluster(configure?.Invoke(options) ?? options);
    }

    public StomperCluster Cluster { get; }

    /// <summary>The clock of the cluster's loop, for stepping timers by hand.</summary>
    public global::EventLoop.FakeClock Clock { get; } = new();

    public List<Node> Nodes { get; } = [];

    public List<string> Trace { get; } = [];

    public Node Active => Nodes.Single(n => ReferenceEquals(n.Mock.Object, Cluster.ActiveNode));

    public Action<Frame?, StompError?> Record(string label) => (receipt, err) =>
        Trace.Add(err is null ? $"{label}: ok" : $"{label}: {err.Message}");

    internal sealed class Node
    {
        public Node(StomperOptions options)
        {
            Options = options;
            Mock.SetupGet(n => n.Host).Returns(options.Host);
            Mock.SetupGet(n => n.Port).Returns(options.Port);
            Mock.Setup(n => n.Execute(It.IsAny<string>(), It.IsAny<CommandParams>(), It.IsAny<Action<Frame?, StompError?>?>()))
                .Callback<string, CommandParams, Action<Frame?, StompError?>?>((name, p, cb) =>
                {
                    // As the real client does: a disposed node refuses work.
                    ObjectDisposedException.ThrowIf(Disposed, this);
                    Commands.Add((name, p, cb));
                });
            Mock.Setup(n => n.Dispose()).Callback(() => Disposed = true);
        }

        public bool Disposed { get; private set; }

        public StomperOptions Options { get; }

        public Mock<IStomperClient> Mock { get; } = new();

        public List<(string Name, CommandParams Params, Action<Frame?, StompError?>? Callback)> Commands { get; } = [];

        public string Host => Options.Host;

        /// <summary>The command at <paramref name="index"/> gets its RECEIPT.</summary>
        public void Receipt(int index) => Commands[index].Callback!(new Frame("RECEIPT"), null);

        /// <summary>The index of the first command <paramref name="name"/> among those the node holds, if any.</summary>
        public int? Pending(string name)
        {
            var index = Commands.FindIndex(c => c.Name == name);
            return index < 0 ? null : index;
        }

        /// <summary>The command at <paramref name="index"/> is forgotten, then answered: its RECEIPT, or <paramref name="error"/> when given.</summary>
        public void Answer(int index, StompError? error = null)
        {
            var callback = Commands[index].Callback!;
            Commands.RemoveAt(index);
            callback(error is null ? new Frame("RECEIPT") : null, error);
        }

        /// <summary>The node fails as a whole (its client's on_error), then aborts what it had, as a real client does.</summary>
        public void Fail(StompError error)
        {
            Options.OnError!(error);
            AbortAll(error);
        }

        /// <summary>Every command the node was given gets <c>Operation "&lt;NAME&gt;" aborted: &lt;message&gt;</c>, and is forgotten.</summary>
        public void AbortAll(StompError error)
        {
            var pending = Commands.ToList();
            Commands.Clear();
            foreach (var (name, _, callback) in pending)
            {
                callback?.Invoke(null, new StompError($"Operation \"{name}\" aborted: {error.Message}", error.Code));
            }
        }

        /// <summary>
        /// The node's connection breaks as a real client reports it: on_error; the
        /// confirmed subscriptions among <see cref="Commands"/> (by index) lost; the other
        /// commands still pending aborted; then on_disconnect.
        /// </summary>
        public void Break(StompError error, int[] lost, int[] aborted)
        {
            Options.OnError!(error);
            foreach (var i in lost)
            {
                Commands[i].Callback!(null, new StompError($"Subscription \"{Commands[i].Params["id"]}\" lost: {error.Message}", error.Code));
            }

            foreach (var i in aborted)
            {
                Commands[i].Callback?.Invoke(null, new StompError($"Operation \"{Commands[i].Name}\" aborted: {error.Message}", error.Code));
            }

            Options.OnDisconnect!();
        }
    }
}
