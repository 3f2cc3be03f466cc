using System.Text;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>
/// The SEND path allocates nothing of its own: a publisher that reuses one parameter
/// object puts no work on the garbage collector however many messages it sends.
/// </summary>
[TestFixture]
public sealed class ClientAllocationTests
{
    private const int Sends = 10_000;

    [TestCase(false)]
    [TestCase(true)]
    public void SEND_without_a_receipt_allocates_nothing_per_message(bool autocork)
    {
        var transport = new CountingTransport();
        using var loop = new Loop(new FakeClock());
        using var client = new StomperClient(new StomperOptions
        {
            Loop = loop,
            Transport = _ => transport,
            HandleParams = new HandleParams { Autocork = autocork },
        });
        transport.Connected!(null);
        transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");
        loop.RunOnce(block: false);
        Assert.That(client.IsConnected, Is.True);
        var send = new CommandParams { ["destination"] = "/queue/a", Body = new string('x', 100) };

        // One round first, so that one-time costs (JIT, the write buffer growing to a
        // pass's worth of frames) are not counted.
        for (var i = 0; i < 100; i++)
        {
            client.Send(send);
        }

        loop.RunOnce(block: false);
        var written = transport.BytesSent;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Sends; i++)
        {
            client.Send(send);
            if (i % 100 == 99)
            {
                loop.RunOnce(block: false);
            }
        }

        var perSend = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Sends;
        Assert.That(transport.BytesSent - written, Is.GreaterThan(Sends * 100L), "the SENDs went out");
        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND");
    }

    /// <summary>
    /// A transport that connects when told and takes every write whole. Hand-written, not a
    /// Moq mock: Moq records each call, which would be the allocation measured.
    /// </summary>
    private sealed class CountingTransport : ITransport
    {
        private byte[]? _incoming;
        private Action? _readable;

        public long BytesSent { get; private set; }

        public void Arrive(string text)
        {
            _incoming = Encoding.UTF8.GetBytes(text);
            _readable?.Invoke();
        }

        public Action<string?>? Connected { get; private set; }

        public void Connect(string host, int port, Action<string?> completed) => Connected = completed;

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
}
