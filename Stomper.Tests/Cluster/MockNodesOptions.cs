using Stomper.Cluster;

namespace Stomper.Tests.Cluster;

/// <summary>Cluster options of a test's own on <see cref="MockNodes"/>' nodes.</summary>
internal static class MockNodesOptions
{
    /// <summary>
    /// <paramref name="own"/> with the mock nodes' list, random source, loop and node
    /// factory: what a test changes goes in <paramref name="own"/>, and what it leaves out
    /// keeps the option's default, not the mock's (its trace callbacks are passed on by name).
    /// </summary>
    public static ClusterOptions MockNodesWith(this ClusterOptions mock, ClusterOptions own) => new()
    {
        Nodes = mock.Nodes,
        Random = mock.Random,
        Loop = mock.Loop,
        NodeFactory = mock.NodeFactory,
        Login = own.Login,
        Passcode = own.Passcode,
        Vhost = own.Vhost,
        Heartbeat = own.Heartbeat,
        ConnectionTimeout = own.ConnectionTimeout,
        ReconnectInterval = own.ReconnectInterval,
        ReceiptTimeout = own.ReceiptTimeout,
        HandleParams = own.HandleParams,
        DefaultHeaders = own.DefaultHeaders,
        CommandHeaders = own.CommandHeaders,
        OnNodeConnect = own.OnNodeConnect,
        OnNodeDisconnect = own.OnNodeDisconnect,
        OnNodeError = own.OnNodeError,
        OnError = own.OnError,
        FrameLimits = own.FrameLimits,
        Transport = own.Transport,
        ReconnectPolicy = own.ReconnectPolicy,
        SendJournal = own.SendJournal,
        OnBeforeConnect = own.OnBeforeConnect,
    };
}
