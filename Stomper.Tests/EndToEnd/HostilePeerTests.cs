using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Tests.Codec;
using static Stomper.ErrorCode;

namespace Stomper.Tests.EndToEnd;

/// <summary>
/// A hostile server: 100,000 random, mutated, oversized and truncated frames fed to one
/// client over many sessions through a scripted transport. The client must report every
/// problem through its callbacks, never throw out of the loop, never hang, and keep its
/// memory bounded.
/// </summary>
[TestFixture]
public sealed class HostilePeerTests
{
    private const int FramesInAll = 100_000;
    private const int FramesPerSession = 100;
    private const int ReadSize = 4096;

    private static readonly FrameLimits Limits = new() { MaxFrameSize = 64 * 1024, MaxHeaderCount = 64, MaxHeaderLineLength = 4096 };

    [Test]
    public void A_hostile_server_gets_every_problem_reported_through_callbacks_with_bounded_time_and_memory()
    {
        var random = new Random(20261126);
        var frames = new RandomFrames(random);
        using var loop = new Loop(new FakeClock());
        // Only aggregates are kept, so that the memory measured is the client's, not the test's.
        PeerTransport? current = null;
        var sessions = 0;
        var largestBuffer = 0;
        var largestBufferedEnd = 0;
        var errorsThisSession = 0;
        ErrorCode? lastCode = null;
        var sessionsWithOneError = 0;
        var errorsByCode = new Dictionary<ErrorCode, int>();
        var tooLarge = 0;
        var unexpectedTexts = new HashSet<string>();
        var otherErrors = new HashSet<string>();
        var outstanding = new HashSet<long>();
        var answeredTwice = 0;
        long issued = 0;
        long delivered = 0;
        var client = new StomperClient(new()
        {
            Host = "hostile.test",
            Lazy = true,
            Loop = loop,
            FrameLimits = Limits,
            HandleParams = new() { ReadSize = ReadSize },
            Transport = _ =>
            {
                current = new PeerTransport(sessions++);
                return current;
            },
            OnError = err =>
            {
                if (err.Message.StartsWith("Unexpected ", StringComparison.Ordinal) || err.Message.StartsWith("Operation \"", StringComparison.Ordinal))
                {
                    otherErrors.Add(err.Message);
                    return;
                }

                errorsThisSession++;
                lastCode = err.Code;
                errorsByCode[err.Code] = errorsByCode.GetValueOrDefault(err.Code) + 1;
                tooLarge += err.Message.Contains("larger than", StringComparison.Ordinal) ? 1 : 0;
                if (err.Code == E_UNEXPECTED_DATA
                    && !err.Message.StartsWith("Malformed frame received: ", StringComparison.Ordinal)
                    && !err.Message.StartsWith("Don't know how process MESSAGE frame. Unknown subscription \"", StringComparison.Ordinal)
                    && !err.Message.StartsWith("Unknown RECEIPT frame received: receipt-id=", StringComparison.Ordinal))
                {
                    unexpectedTexts.Add(err.Message);
                }
            },
        });

        // Every command callback must be called exactly once, whatever the server does.
        Action<Frame?, StompError?> Once(long id)
        {
            outstanding.Add(id);
            return (_, _) => answeredTwice += outstanding.Remove(id) ? 0 : 1;
        }

        void Issue(Action<Action<Frame?, StompError?>> command) => command(Once(++issued));

        Frame? lastMessage = null;
        var clock = Stopwatch.StartNew();
        long memoryAfterWarmUp = 0;
        var fed = 0;
        var forced = 0;
        for (var session = 0; fed < FramesInAll; session++)
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), $"session {session}: the client is too slow or stuck");
            var ack = random.Next(3) switch { 0 => "auto", 1 => "client", _ => "client-individual" };
            Issue(cb => client.Subscribe(new()
            {
                ["id"] = "s1",
                ["destination"] = "/queue/a",
                ["ack"] = ack,
                OnReceipt = cb,
                OnMessage = m =>
                {
                    delivered++;
                    lastMessage = m;
                },
            }));
            Issue(cb => client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "x" }, cb));
            var transport = current!;
            var gentle = random.Next(5) == 0;
            errorsThisSession = 0;
            lastCode = null;
            Assert.That(transport.Index, Is.EqualTo(session), "each session connects once, on its first command");
            transport.ConnectCompleted!(null);
            var version = (StompVersion)(10 + random.Next(3));
            transport.Feed(Encoding.UTF8.GetBytes($"CONNECTED\nversion:{version.ToHeaderValue()}\nsession:S{session}\nheart-beat:0,0\n\n\0"));
            loop.RunPending();
            Assert.That(client.IsConnected, Is.True, $"session {session}");

            for (var i = 0; i < FramesPerSession && !transport.Disposed; i++, fed++)
            {
                transport.Feed(gentle ? Message(random, version) : Hostile(random, frames, version), random);
                loop.RunPending();
                if (!transport.Disposed && random.Next(10) == 0)
                {
                    if (lastMessage is { } message && random.Next(2) == 0)
                    {
                        Issue(cb => client.Ack(new() { Message = message }, cb));
                    }
                    else
                    {
                        Issue(cb => client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "y" }, cb));
                    }

                    loop.RunPending();
                }
            }

            if (!transport.Disposed)
            {
                forced++;
                transport.Forced = true;
                client.ForceDisconnect();
                loop.RunPending();
            }

            Assert.That(transport.Disposed && !client.IsConnected, Is.True, $"session {session} is over");
            Assert.That((outstanding.Count, answeredTwice), Is.EqualTo((0, 0)), $"session {session}: every command answered exactly once");
            Assert.That(errorsThisSession, Is.EqualTo(1), $"session {session}: one connection error on on_error");
            Assert.That(lastCode == E_CONN_CLOSED_BY_CLIENT, Is.EqualTo(transport.Forced), $"session {session}: closed by the client only when forced");
            sessionsWithOneError += errorsThisSession;
            largestBuffer = Math.Max(largestBuffer, transport.LargestBuffer);
            largestBufferedEnd = Math.Max(largestBufferedEnd, transport.LargestBufferedEnd);
            if (session == 50)
            {
                memoryAfterWarmUp = GC.GetTotalMemory(forceFullCollection: true);
            }
        }

        var memoryAtEnd = GC.GetTotalMemory(forceFullCollection: true);
        client.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
            Assert.That(fed, Is.InRange(FramesInAll, FramesInAll + FramesPerSession));
            Assert.That(sessionsWithOneError, Is.EqualTo(sessions));
            Assert.That(errorsByCode.Keys, Is.SubsetOf(new[] { E_UNEXPECTED_DATA, E_OPRN_ERROR, E_CONN_CLOSED_BY_REMOTE_HOST, E_IO, E_CONN_CLOSED_BY_CLIENT }));
            Assert.That(unexpectedTexts, Is.Empty);
            Assert.That(otherErrors, Is.SubsetOf(new[] { "Unexpected ACK sent." }));

            // The generator must reach every outcome, or the test proves little.
            Assert.That(tooLarge, Is.GreaterThan(10));
            Assert.That(errorsByCode.Values, Has.Count.EqualTo(5).And.All.GreaterThan(10));
            Assert.That(forced, Is.GreaterThan(10));
            Assert.That(delivered, Is.GreaterThan(10_000));

            // Memory: the read buffer never holds more than one frame's worth plus one read, and nothing piles up across sessions.
            Assert.That(largestBufferedEnd, Is.LessThanOrEqualTo(Limits.MaxFrameSize + ReadSize));
            Assert.That(largestBuffer, Is.LessThanOrEqualTo(2 * (Limits.MaxFrameSize + ReadSize)));
            Assert.That(memoryAtEnd - memoryAfterWarmUp, Is.LessThan(4L * 1024 * 1024));
        });
    }

    /// <summary>One hostile frame's bytes, or null for an end-of-file, or an empty array for a reset.</summary>
    private static byte[]? Hostile(Random random, RandomFrames frames, StompVersion version)
    {
        var pick = random.Next(100);
        return pick switch
        {
            < 30 => Message(random, version),
            < 55 => RandomFrames.Bytes(frames.Next(FrameSource.Server, version, maxHeaders: 4, maxText: 8, maxBody: 64), version),
            < 85 => Mutate(random.Next(2) == 0 ? Message(random, version) : RandomFrames.Bytes(frames.Next(FrameSource.Server, version, 4, 8, 64), version), random),
            < 90 => Enumerable.Repeat((byte)'\n', random.Next(1, 4)).ToArray(),
            < 93 => Oversized(random),
            < 95 => Encoding.UTF8.GetBytes($"ERROR\nmessage:go away {random.Next()}\n\n\0"),
            < 96 => Encoding.UTF8.GetBytes($"RECEIPT\nreceipt-id:R_S.{random.Next(1000)}\n\n\0"),
            < 98 => null,
            _ => [],
        };
    }

    /// <summary>A MESSAGE for the live subscription, as a broker would send it.</summary>
    private static byte[] Message(Random random, StompVersion version)
    {
        var id = random.Next().ToString(CultureInfo.InvariantCulture);
        var body = new byte[random.Next(200)];
        random.NextBytes(body);
        var ack = version == StompVersion.V1_2 ? $"ack:a-{id}\n" : string.Empty;
        var head = Encoding.UTF8.GetBytes($"MESSAGE\nsubscription:s1\nmessage-id:m-{id}\ndestination:/queue/a\n{ack}content-length:{body.Length}\n\n");
        return [.. head, .. body, 0];
    }

    /// <summary>A frame beyond the size limit, by its content-length or by a body that never ends.</summary>
    private static byte[] Oversized(Random random)
    {
        var body = new byte[Limits.MaxFrameSize + random.Next(1, 3 * ReadSize)];
        Array.Fill(body, (byte)'z');
        var head = random.Next(2) == 0
            ? "MESSAGE\nsubscription:s1\nmessage-id:big\ndestination:/queue/a\n\n"
            : $"MESSAGE\nsubscription:s1\nmessage-id:big\ndestination:/queue/a\ncontent-length:{body.Length}\n\n";
        return [.. Encoding.UTF8.GetBytes(head), .. body, 0];
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        switch (random.Next(5))
        {
            case 0:
                for (var i = 1 + random.Next(3); i > 0 && bytes.Count > 0; i--)
                {
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                }

                break;
            case 1:
                byte[][] interesting = [[0], [(byte)'\n'], [(byte)'\r'], [(byte)':'], [(byte)'\\'], "content-length:99\n"u8.ToArray(), "\\t"u8.ToArray()];
                bytes.InsertRange(random.Next(bytes.Count + 1), interesting[random.Next(interesting.Length)]);
                break;
            case 2:
                if (bytes.Count > 1)
                {
                    var start = random.Next(bytes.Count);
                    bytes.RemoveRange(start, random.Next(1, bytes.Count - start + 1));
                }

                break;
            case 3:
                var noise = new byte[random.Next(1, 3000)];
                random.NextBytes(noise);
                return noise;
            default:
                bytes.InsertRange(random.Next(bytes.Count + 1), Enumerable.Repeat((byte)random.Next(256), random.Next(1, 1500)));
                break;
        }

        return [.. bytes];
    }

    /// <summary>A transport whose peer is the test: reads come from <see cref="Feed(byte[], Random)"/>, writes are taken whole.</summary>
    private sealed class PeerTransport : ITransport
    {
        private readonly Queue<byte[]?> _reads = new();
        private byte[]? _current;
        private int _currentOffset;
        private Action? _readable;
        private bool _reset;

        public PeerTransport(int index) => Index = index;

        public int Index { get; }

        public Action<string?>? ConnectCompleted { get; private set; }

        public bool Disposed { get; private set; }

        /// <summary>Set by the test when it ended the session itself.</summary>
        public bool Forced { get; set; }

        /// <summary>The largest array the handle offered to read into.</summary>
        public int LargestBuffer { get; private set; }

        /// <summary>The furthest a read reached into that array: a bound on the bytes buffered.</summary>
        public int LargestBufferedEnd { get; private set; }

        public void Connect(string host, int port, Action<string?> completed) => ConnectCompleted = completed;

        public void WatchRead(Action? onReadable) => _readable = onReadable;

        public void WatchWrite(Action? onWritable)
        {
        }

        public int Receive(byte[] buffer, int offset, int count)
        {
            LargestBuffer = Math.Max(LargestBuffer, buffer.Length);
            if (_reset)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            if (_current is null)
            {
                if (!_reads.TryDequeue(out var next))
                {
                    return -1;
                }

                if (next is null)
                {
                    return 0;
                }

                (_current, _currentOffset) = (next, 0);
            }

            var n = Math.Min(count, _current.Length - _currentOffset);
            _current.AsSpan(_currentOffset, n).CopyTo(buffer.AsSpan(offset));
            _currentOffset += n;
            if (_currentOffset == _current.Length)
            {
                _current = null;
            }

            LargestBufferedEnd = Math.Max(LargestBufferedEnd, offset + n);
            return n;
        }

        public int Send(byte[] buffer, int offset, int count) => count;

        public void Configure(bool noDelay, bool keepAlive)
        {
        }

        public void Dispose()
        {
            Disposed = true;
            _reads.Clear();
            _current = null;
        }

        /// <summary>Delivers bytes as one read.</summary>
        public void Feed(byte[] bytes)
        {
            _reads.Enqueue(bytes);
            _readable?.Invoke();
        }

        /// <summary>Delivers bytes in random pieces (null: end-of-file; empty: a reset), as TCP may.</summary>
        public void Feed(byte[]? bytes, Random random)
        {
            if (bytes is null || bytes.Length == 0)
            {
                _reset = bytes is not null;
                _reads.Enqueue(null);
                _readable?.Invoke();
                return;
            }

            for (var at = 0; at < bytes.Length && !Disposed;)
            {
                var piece = Math.Min(bytes.Length - at, random.Next(3) == 0 ? 1 + random.Next(8) : 1 + random.Next(ReadSize));
                _reads.Enqueue(bytes[at..(at + piece)]);
                at += piece;
                _readable?.Invoke();
            }
        }
    }
}
