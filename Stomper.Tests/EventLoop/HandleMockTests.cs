using System.Net.Sockets;
using System.Text;
using EventLoop;
using Moq;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>The handle over a Moq transport and a fake clock: every path without a socket.</summary>
[TestFixture]
public sealed class HandleMockTests
{
    private FakeClock _clock = null!;
    private Loop _loop = null!;
    private ScriptedTransport _transport = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock();
        _loop = new Loop(_clock);
        _transport = new ScriptedTransport();
    }

    [TearDown]
    public void TearDown() => _loop.Dispose();

    [Test]
    public void A_refused_connect_reaches_on_connect_error_and_never_on_connect()
    {
        var trace = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            OnConnect = (_, _, _) => trace.Add("connected"),
            OnConnectError = (_, reason) => trace.Add(reason),
        }));

        _transport.ConnectCompleted!("Connection refused");

        Assert.That(trace, Is.EqualTo(new[] { "Connection refused" }));
        _transport.Mock.Verify(t => t.Dispose(), Times.Once);
    }

    [Test]
    public void A_connect_error_without_on_connect_error_is_a_fatal_on_error()
    {
        var errors = new List<(bool, string)>();
        using var handle = new Handle(_loop, _transport.Options(new() { OnError = (_, fatal, message) => errors.Add((fatal, message)) }));

        _transport.ConnectCompleted!("No route to host");

        Assert.That(errors, Is.EqualTo(new[] { (true, "No route to host") }));
    }

    [Test]
    public void The_connect_timeout_from_on_prepare_fires_on_the_loop_clock()
    {
        var reasons = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            OnPrepare = _ => 2.5,
            OnConnectError = (_, reason) => reasons.Add(reason),
        }));

        _clock.Advance(2.4);
        _loop.RunOnce(block: false);
        Assert.That(reasons, Is.Empty);

        _clock.Advance(0.1);
        _loop.RunOnce(block: false);
        _transport.ConnectCompleted!(null);

        Assert.That(reasons, Is.EqualTo(new[] { "Connection timed out" }));
        Assert.That(handle.IsConnected, Is.False);
    }

    [Test]
    public void Data_pushed_before_the_connection_is_up_leaves_once_it_is()
    {
        using var handle = new Handle(_loop, _transport.Options(new()));
        handle.PushWrite("CONNECT\n\n\0");
        Assert.That(_transport.Sent, Is.Empty);

        _transport.ConnectCompleted!(null);

        Assert.That(_transport.SentText, Is.EqualTo("CONNECT\n\n\0"));
    }

    [Test]
    public void Data_pushed_before_the_connection_is_up_leaves_after_an_on_connect_that_throws()
    {
        using var handle = new Handle(_loop, _transport.Options(new() { OnConnect = (_, _, _) => throw new InvalidOperationException("on_connect bug") }));
        handle.PushWrite("CONNECT\n\n\0");

        Assert.Throws<InvalidOperationException>(() => _transport.ConnectCompleted!(null));
        Assert.That(_transport.Sent, Is.Empty, "nothing in the exception's way");
        _loop.RunOnce(block: false);

        Assert.That(_transport.SentText, Is.EqualTo("CONNECT\n\n\0"));
    }

    [Test]
    public void Partial_reads_accumulate_in_the_read_buffer_until_consumed()
    {
        var seen = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            OnRead = h =>
            {
                var text = Encoding.UTF8.GetString(h.ReadBuffer);
                seen.Add(text);
                var nul = text.IndexOf('\0', StringComparison.Ordinal);
                if (nul >= 0)
                {
                    h.Consume(nul + 1);
                }
            },
        }));
        _transport.ConnectCompleted!(null);

        _transport.Arrive("CONNEC");
        _transport.Arrive("TED\n\n\0MESS");

        Assert.That(seen, Is.EqualTo(new[] { "CONNEC", "CONNECTED\n\n\0MESS" }));
        Assert.That(Encoding.UTF8.GetString(handle.ReadBuffer), Is.EqualTo("MESS"));
    }

    [Test]
    public void End_of_file_in_the_middle_of_a_message_reaches_on_eof_with_the_partial_bytes_still_buffered()
    {
        var trace = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            OnRead = _ => trace.Add("read"),
            OnEof = h => trace.Add("eof with " + Encoding.UTF8.GetString(h.ReadBuffer)),
        }));
        _transport.ConnectCompleted!(null);

        _transport.Arrive("MESSAGE\nsubscription:1\n");
        _transport.ArriveEof();

        Assert.That(trace, Is.EqualTo(new[] { "read", "eof with MESSAGE\nsubscription:1\n" }));
    }

    [Test]
    public void End_of_file_without_on_eof_is_a_fatal_error()
    {
        var errors = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new() { OnError = (_, _, message) => errors.Add(message) }));
        _transport.ConnectCompleted!(null);

        _transport.ArriveEof();

        Assert.That(errors, Is.EqualTo(new[] { "Unexpected end-of-file" }));
        Assert.That(handle.IsDestroyed, Is.True);
    }

    [Test]
    public void A_read_error_is_fatal_with_the_system_text_and_destroys_the_handle()
    {
        var errors = new List<(bool, string)>();
        using var handle = new Handle(_loop, _transport.Options(new() { OnError = (_, fatal, message) => errors.Add((fatal, message)) }));
        _transport.ConnectCompleted!(null);
        _transport.Mock.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new SocketException((int)SocketError.ConnectionReset));

        _transport.Readable!();

        Assert.That(errors, Is.EqualTo(new[] { (true, "Connection reset by peer") }));
        Assert.That(handle.IsDestroyed, Is.True);
        _transport.Mock.Verify(t => t.Dispose(), Times.Once);
    }

    [Test]
    public void On_error_still_finds_what_was_read_and_not_consumed_and_it_stays_until_disposed()
    {
        string? seenInOnError = null;
        var handle = new Handle(_loop, _transport.Options(new()
        {
            OnRead = h => h.Consume(2),
            OnError = (h, _, _) => seenInOnError = Encoding.ASCII.GetString(h.ReadBuffer),
        }));
        _transport.ConnectCompleted!(null);
        _transport.Arrive("a\0rest");

        _transport.ArriveError(SocketError.ConnectionReset);

        Assert.That(seenInOnError, Is.EqualTo("rest"));
        Assert.That(handle.IsDestroyed, Is.True);
        Assert.That(Encoding.ASCII.GetString(handle.ReadBuffer), Is.EqualTo("rest"));
        handle.Consume(1);
        Assert.That(Encoding.ASCII.GetString(handle.ReadBuffer), Is.EqualTo("est"));
        handle.Dispose();
        Assert.That(handle.ReadBuffer.Length, Is.Zero);
        Assert.That(() => handle.Consume(0), Throws.Nothing);
    }

    [Test]
    public void A_write_error_is_fatal_with_the_system_text()
    {
        var errors = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new() { OnError = (_, _, message) => errors.Add(message) }));
        _transport.ConnectCompleted!(null);
        _transport.Mock.Setup(t => t.Send(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new SocketException((int)SocketError.Shutdown));

        handle.PushWrite("SEND\n\n\0");

        Assert.That(errors, Is.EqualTo(new[] { "Broken pipe" }));
    }

    [Test]
    public void A_transport_of_ones_own_that_fails_with_any_exception_on_read_or_write_reports_a_fatal_error_with_its_message()
    {
        // ITransport is public: a transport of the user's own may throw what it likes, and the
        // failure must reach on_error like a socket's, never escape into the loop.
        var errors = new List<(bool, string)>();
        using var reading = new Handle(_loop, _transport.Options(new() { OnError = (_, fatal, message) => errors.Add((fatal, message)) }));
        _transport.ConnectCompleted!(null);
        _transport.Mock.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new InvalidOperationException("the tunnel went away"));

        Assert.That(() => _transport.Readable!(), Throws.Nothing);
        Assert.That(errors, Is.EqualTo(new[] { (true, "the tunnel went away") }));
        Assert.That(reading.IsDestroyed, Is.True);

        var writer = new ScriptedTransport();
        var writeErrors = new List<(bool, string)>();
        using var writing = new Handle(_loop, writer.Options(new() { OnError = (_, fatal, message) => writeErrors.Add((fatal, message)) }));
        writer.ConnectCompleted!(null);
        writer.Mock.Setup(t => t.Send(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new NotSupportedException("no sends on this tunnel"));

        Assert.That(() => writing.PushWrite("SEND\n\n\0"), Throws.Nothing);
        Assert.That(writeErrors, Is.EqualTo(new[] { (true, "no sends on this tunnel") }));
    }

    [Test]
    public void A_fatal_error_with_no_on_error_is_thrown_out_of_the_loop_rather_than_lost()
    {
        using var handle = new Handle(_loop, _transport.Options(new()));
        _transport.ConnectCompleted!(null);
        _transport.Mock.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new SocketException((int)SocketError.ConnectionReset));

        Assert.That(() => _transport.Readable!(), Throws.TypeOf<IOException>().With.Message.EqualTo("Connection reset by peer"));
    }

    [Test]
    public void A_partial_write_waits_for_writability_then_sends_the_rest_and_drains()
    {
        var drains = 0;
        using var handle = new Handle(_loop, _transport.Options(new() { OnDrain = _ => drains++ }));
        _transport.ConnectCompleted!(null);
        drains = 0;
        _transport.SendCapacity = 4;

        handle.PushWrite("SEND\ndestination:/queue/a\n\nhello\0");

        Assert.That(handle.WriteBufferLength, Is.EqualTo(29));
        Assert.That(_transport.Writable, Is.Not.Null);
        Assert.That(drains, Is.Zero);

        _transport.SendCapacity = int.MaxValue;
        _transport.Writable!();

        Assert.That(_transport.SentText, Is.EqualTo("SEND\ndestination:/queue/a\n\nhello\0"));
        Assert.That(handle.WriteBufferLength, Is.Zero);
        Assert.That(drains, Is.EqualTo(1));
        Assert.That(_transport.Writable, Is.Null, "the write watcher stops once there is nothing left");
    }

    [Test]
    public void Without_autocork_every_push_is_written_at_once()
    {
        using var handle = new Handle(_loop, _transport.Options(new()));
        _transport.ConnectCompleted!(null);

        handle.PushWrite("a");
        handle.PushWrite("b");

        Assert.That(_transport.Sent.Select(Encoding.UTF8.GetString), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void With_autocork_pushes_of_one_pass_leave_in_a_single_write_at_its_end()
    {
        using var handle = new Handle(_loop, _transport.Options(new() { Autocork = true }));
        _transport.ConnectCompleted!(null);
        using var timer = _loop.Timer(0, 0, () =>
        {
            handle.PushWrite("a");
            handle.PushWrite("b");
            handle.PushWrite("c");
            Assert.That(_transport.Sent, Is.Empty);
        });

        _loop.RunOnce(block: false);

        Assert.That(_transport.Sent.Select(Encoding.UTF8.GetString), Is.EqualTo(new[] { "abc" }));
    }

    [Test]
    public void Bytes_written_through_the_buffer_writer_leave_on_commit()
    {
        using var handle = new Handle(_loop, _transport.Options(new()));
        _transport.ConnectCompleted!(null);

        var span = handle.Writer.GetSpan(5);
        "HELLO"u8.CopyTo(span);
        handle.Writer.Advance(5);
        Assert.That(_transport.Sent, Is.Empty);
        handle.Commit();

        Assert.That(_transport.SentText, Is.EqualTo("HELLO"));
    }

    [Test]
    public void Writing_through_the_buffer_writer_of_a_destroyed_handle_is_refused_instead_of_buffered()
    {
        var handle = new Handle(_loop, _transport.Options(new() { Linger = 0 }));
        _transport.ConnectCompleted!(null);
        handle.Dispose();

        Assert.That(() => handle.Writer.GetSpan(1000), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(handle.WriteBufferLength, Is.Zero);
    }

    /// <summary>A connected handle that consumes what it reads and records when its read timeout fires.</summary>
    private Handle ConnectedWithReadTimeout(double seconds, List<double> timeouts)
    {
        var handle = new Handle(_loop, _transport.Options(new()
        {
            RTimeout = seconds,
            OnRTimeout = _ => timeouts.Add(_clock.MonotonicSeconds),
            OnRead = h => h.Consume(h.ReadBuffer.Length),
        }));
        _transport.ConnectCompleted!(null);
        return handle;
    }

    [Test]
    public void The_read_timeout_fires_after_rtimeout_seconds_without_data_and_again_after_each_further_interval()
    {
        var timeouts = new List<double>();
        using var handle = ConnectedWithReadTimeout(3, timeouts);

        Step(2);
        _transport.Arrive("\n");
        Step(2);
        Assert.That(timeouts, Is.Empty, "a read 2 s ago restarted the count");

        Step(1);
        Assert.That(timeouts, Is.EqualTo(new[] { 5.0 }));

        Step(3);
        Assert.That(timeouts, Is.EqualTo(new[] { 5.0, 8.0 }));
    }

    [Test]
    public void StopRead_stops_watching_the_socket_and_the_read_timeout_and_StartRead_counts_afresh()
    {
        var timeouts = new List<double>();
        using var handle = ConnectedWithReadTimeout(3, timeouts);

        handle.StopRead();
        Assert.That(_transport.Readable, Is.Null);
        Step(10);
        Assert.That(timeouts, Is.Empty, "ten stopped seconds are not the peer's silence");

        handle.StartRead();
        Assert.That(_transport.Readable, Is.Not.Null);
        Step(2.9);
        Assert.That(timeouts, Is.Empty, "the count starts at StartRead");
        Step(0.1);
        Assert.That(timeouts, Is.EqualTo(new[] { 13.0 }));
    }

    [Test]
    public void A_handle_stopped_before_it_connects_does_not_read_once_connected()
    {
        var reads = 0;
        using var handle = new Handle(_loop, _transport.Options(new() { OnRead = h => reads++ }));
        handle.StopRead();

        _transport.ConnectCompleted!(null);

        Assert.That(handle.IsReadStopped, Is.True);
        Assert.That(_transport.Readable, Is.Null);
        handle.StartRead();
        _transport.Arrive("x");
        Assert.That(reads, Is.EqualTo(1));
    }

    [Test]
    public void The_read_timeout_without_on_rtimeout_is_a_fatal_error()
    {
        var errors = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            RTimeout = 1,
            OnError = (_, _, message) => errors.Add(message),
        }));
        _transport.ConnectCompleted!(null);

        Step(1);

        Assert.That(errors, Is.EqualTo(new[] { "Connection timed out" }));
    }

    [Test]
    public void The_write_timeout_counts_only_while_data_waits_to_be_written()
    {
        var timeouts = 0;
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            WTimeout = 2,
            OnWTimeout = _ => timeouts++,
        }));
        _transport.ConnectCompleted!(null);

        Step(5);
        Assert.That(timeouts, Is.Zero, "nothing to write, nothing to time out");

        _transport.SendCapacity = 0;
        handle.PushWrite("stuck");
        Step(1);
        Assert.That(timeouts, Is.Zero);
        Step(1);
        Assert.That(timeouts, Is.EqualTo(1));
    }

    [Test]
    public void Reading_past_rbuf_max_without_consuming_is_a_fatal_error_rather_than_unbounded_growth()
    {
        var errors = new List<string>();
        using var handle = new Handle(_loop, _transport.Options(new()
        {
            RbufMax = 10,
            OnRead = _ => { },
            OnError = (_, _, message) => errors.Add(message),
        }));
        _transport.ConnectCompleted!(null);

        _transport.Arrive("0123456789AB");
        _transport.Arrive("more");

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("Read buffer overflow"));
    }

    [Test]
    public void No_callback_runs_after_dispose_and_unsent_data_lingers_silently()
    {
        var trace = new List<string>();
        var handle = new Handle(_loop, _transport.Options(new()
        {
            OnRead = _ => trace.Add("read"),
            OnDrain = _ => trace.Add("drain"),
            OnError = (_, _, _) => trace.Add("error"),
        }));
        _transport.ConnectCompleted!(null);
        trace.Clear();
        _transport.SendCapacity = 2;
        handle.PushWrite("BYE\0");

        handle.Dispose();
        _transport.Arrive("late data");
        _transport.SendCapacity = int.MaxValue;
        _transport.Writable!();

        Assert.That(trace, Is.Empty);
        Assert.That(_transport.SentText, Is.EqualTo("BYE\0"));
        _transport.Mock.Verify(t => t.Dispose(), Times.Once);
    }

    [Test]
    public void Lingering_gives_up_after_linger_seconds()
    {
        var handle = new Handle(_loop, _transport.Options(new() { Linger = 5 }));
        _transport.ConnectCompleted!(null);
        _transport.SendCapacity = 0;
        handle.PushWrite("never taken");
        handle.Dispose();

        Step(4.9);
        _transport.Mock.Verify(t => t.Dispose(), Times.Never);
        Step(0.1);
        _transport.Mock.Verify(t => t.Dispose(), Times.Once);
    }

    private void Step(double seconds)
    {
        _clock.Advance(seconds);
        _loop.RunOnce(block: false);
    }
}
