using EventLoop;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>
/// A transport that passes everything to the one it wraps until a test arms a fault: then its
/// receive or send throws what the test gave, of whatever type (the socket under TLS failing
/// in a way no catch list foresaw).
/// </summary>
internal sealed class FaultyTransport(ITransport inner) : ITransport
{
    /// <summary>Thrown by every receive from now on, when set.</summary>
    public Exception? ReceiveFault { get; set; }

    /// <summary>Thrown by every send from now on, when set.</summary>
    public Exception? SendFault { get; set; }

    public void Connect(string host, int port, Action<string?> completed) => inner.Connect(host, port, completed);

    public void WatchRead(Action? onReadable) => inner.WatchRead(onReadable);

    public void WatchWrite(Action? onWritable) => inner.WatchWrite(onWritable);

    public int Receive(byte[] buffer, int offset, int count) =>
        ReceiveFault is { } fault ? throw fault : inner.Receive(buffer, offset, count);

    public int Send(byte[] buffer, int offset, int count) =>
        SendFault is { } fault ? throw fault : inner.Send(buffer, offset, count);

    public void Configure(bool noDelay, bool keepAlive) => inner.Configure(noDelay, keepAlive);

    public void Dispose() => inner.Dispose();
}
