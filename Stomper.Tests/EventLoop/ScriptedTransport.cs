using System.Text;
using EventLoop;
using Moq;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// A Moq transport driven by a script: what each read returns, how much each write
/// takes, and hands to fire readiness by. This is the pattern docs/testing.md shows.
/// </summary>
internal sealed class ScriptedTransport
{
    // Each read: bytes, null for end-of-file, or an exception for a socket error.
    private readonly Queue<object?> _reads = new();

    public ScriptedTransport()
    {
        Mock.Setup(t => t.Connect(It.IsAny<string>(), It.IsAny<int>(), It.IsAny<Action<string?>>()))
            .Callback<string, int, Action<string?>>((_, _, done) => ConnectCompleted = done);
        Mock.Setup(t => t.WatchRead(It.IsAny<Action?>())).Callback<Action?>(cb => Readable = cb);
        Mock.Setup(t => t.WatchWrite(It.IsAny<Action?>())).Callback<Action?>(cb => Writable = cb);
        Mock.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Returns<byte[], int, int>((buffer, offset, count) =>
            {
                if (!_reads.TryDequeue(out var next))
                {
                    return -1;
                }

                switch (next)
                {
                    case null:
                        return 0;
                    case Exception error:
                        throw error;
                    default:
                        var bytes = (byte[])next;
                        bytes.CopyTo(buffer, offset);
                        return bytes.Length;
                }
            });
        Mock.Setup(t => t.Send(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Returns<byte[], int, int>((buffer, offset, count) =>
            {
                var taken = Math.Min(count, SendCapacity);
                SendCapacity -= taken;
                if (taken > 0)
                {
                    Sent.Add(buffer.AsSpan(offset, taken).ToArray());
                }

                return taken;
            });
    }

    public Mock<ITransport> Mock { get; } = new();

    public Action<string?>? ConnectCompleted { get; private set; }

    public Action? Readable { get; private set; }

    public Action? Writable { get; private set; }

    /// <summary>How many more bytes Send accepts before it would block.</summary>
    public int SendCapacity { get; set; } = int.MaxValue;

    /// <summary>Every accepted Send, as a separate chunk.</summary>
    public List<byte[]> Sent { get; } = [];

    public string SentText => Encoding.UTF8.GetString(Sent.SelectMany(b => b).ToArray());

    public HandleOptions Options(HandleOptions template) => new()
    {
        Host = "stomp.test",
        Port = 61613,
        Transport = _ => Mock.Object,
        OnPrepare = template.OnPrepare,
        OnConnect = template.OnConnect,
        OnConnectError = template.OnConnectError,
        OnError = template.OnError,
        OnRead = template.OnRead,
        OnEof = template.OnEof,
        OnDrain = template.OnDrain,
        RTimeout = template.RTimeout,
        WTimeout = template.WTimeout,
        OnRTimeout = template.OnRTimeout,
        OnWTimeout = template.OnWTimeout,
        Autocork = template.Autocork,
        Linger = template.Linger,
        RbufMax = template.RbufMax,
    };

    /// <summary>Queues bytes for the next read and says the transport is readable.</summary>
    public void Arrive(string text)
    {
        _reads.Enqueue(Encoding.UTF8.GetBytes(text));
        Readable?.Invoke();
    }

    /// <summary>Queues an end-of-file and says the transport is readable.</summary>
    public void ArriveEof()
    {
        _reads.Enqueue(null);
        Readable?.Invoke();
    }

    /// <summary>Queues a socket error for the next read and says the transport is readable.</summary>
    public void ArriveError(System.Net.Sockets.SocketError error)
    {
        _reads.Enqueue(new System.Net.Sockets.SocketException((int)error));
        Readable?.Invoke();
    }
}
