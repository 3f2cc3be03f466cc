using System.Text;
using EventLoop;

namespace Stomper.Tests.Client;

/// <summary>
/// A transport that connects when told and takes every write whole, counting the bytes.
/// Hand-written, not a Moq mock or a socket peer: their own allocations would be what an
/// allocation test measures. On a <see cref="Loop"/> given to <see cref="AnsweringOn"/> it
/// also connects at once and answers CONNECT, as a server would, on a later pass.
/// </summary>
internal sealed class CountingTransport : ITransport
{
    private Loop? _answeringLoop;
    private byte[]? _incoming;
    private Action? _readable;

    public long BytesSent { get; private set; }

    public Action<string?>? Connected { get; private set; }

    /// <summary>Connects at once and answers CONNECT with CONNECTED, on <paramref name="loop"/>'s next passes.</summary>
    public ITransport AnsweringOn(Loop loop)
    {
        _answeringLoop = loop;
        return this;
    }

    public void Arrive(string text)
    {
        _incoming = Encoding.UTF8.GetBytes(text);
        _readable?.Invoke();
    }

    public void Connect(string host, int port, Action<string?> completed)
    {
        Connected = completed;
        _answeringLoop?.Post(() => completed(null));
    }

    public void WatchRead(Action? onReadable) => _readable = onReadable;

    public void WatchWrite(Action? onWritable)
    {
    }

    public int Receive(byte[] buffer, int offset, int count)
    {
        if (_incoming is not { } incoming)
        {
            return -1;
        }

        _incoming = null;
        incoming.CopyTo(buffer, offset);
        return incoming.Length;
    }

    public int Send(byte[] buffer, int offset, int count)
    {
        if (BytesSent == 0 && _answeringLoop is { } loop)
        {
            // CONNECT: the answer comes on a later pass, as from a real server.
            loop.Post(() => Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0"));
        }

        BytesSent += count;
        return count;
    }

    public void Configure(bool noDelay, bool keepAlive)
    {
    }

    public void Dispose()
    {
    }
}
