using Stomper.Async;
using Stomper.Cluster;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>Async clients on their own loop threads against fake brokers on loopback, torn down after each test.</summary>
internal sealed class AsyncHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly List<AsyncStomperClient> _clients = [];
    private readonly List<FakeBroker> _brokers = [];

    public FakeBroker Broker(FakeBrokerOptions? options = null)
    {
        var broker = new FakeBroker(options).Start();
        _brokers.Add(broker);
        return broker;
    }

    public AsyncStomperClient Client(FakeBroker broker, Func<StomperOptions, StomperOptions>? configure = null, int bufferSize = 1000)
    {
        var options = new StomperOptions { Host = broker.Host, Port = broker.Port, OnError = _ => { } };
        var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = configure?.Invoke(options) ?? options,
            MessageBufferSize = bufferSize,
        });
        _clients.Add(client);
        return client;
    }

    public AsyncStomperClient Cluster(params FakeBroker[] brokers)
    {
        var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Cluster = new ClusterOptions
            {
                Nodes = [.. brokers.Select(b => new ClusterNode(b.Host, b.Port))],
                Random = new Random(1),
                OnError = _ => { },
            },
        });
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _brokers.ForEach(b => b.Dispose());
    }
}
