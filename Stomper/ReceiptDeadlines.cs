using EventLoop;

namespace Stomper;

/// <summary>
/// The receipt deadlines of one client's commands and the one timer that watches the
/// earliest. A command answered at the head of the queue leaves it at once; one answered
/// out of turn stays until it reaches the head (or the queue is rebuilt), so an answer
/// never searches. The timer is re-armed only when a deadline earlier than its own comes,
/// or when it fires early because the command it was armed for was answered: with one
/// timeout for all, a steady stream of receipted commands re-arms it about once per timeout.
/// </summary>
internal sealed class ReceiptDeadlines
{
    private readonly Loop _loop;
    private readonly PriorityQueue<Entry, (double Deadline, long Sequence)> _queue = new();
    private readonly Func<Entry, bool> _isAwaited;
    private readonly Action<Entry> _expired;
    private readonly Action _fire;
    private readonly List<(Entry, (double, long))> _rebuild = [];
    private TimerWatcher? _timer;
    private double _timerDue;
    private int _answered;

    /// <param name="loop">The client's loop.</param>
    /// <param name="isAwaited">Whether the entry's command still waits: an answered one may linger in the queue.</param>
    /// <param name="expired">Called for the first command whose deadline passed; the client then gives the connection up and <see cref="Clear"/>s.</param>
    public ReceiptDeadlines(Loop loop, Func<Entry, bool> isAwaited, Action<Entry> expired)
    {
        _loop = loop;
        _isAwaited = isAwaited;
        _expired = expired;
        _fire = Fire;
    }

    /// <summary>Entries in the queue, answered ones not yet dropped included; tests check that it stays bounded.</summary>
    internal int Count => _queue.Count;

    /// <summary>Whether the timer is armed.</summary>
    internal bool IsArmed => _timer is not null;

    /// <summary>Now, on the clock the deadlines are counted on: the loop's monotonic one, so that a change of the wall clock moves none.</summary>
    public double Now => _loop.Clock.MonotonicSeconds;

    /// <summary>Starts watching a command: <paramref name="deadline"/> on <see cref="Now"/>'s clock.</summary>
    public void Track(long sequence, string? receiptId, double seconds, double deadline)
    {
        _queue.Enqueue(new Entry(sequence, receiptId, seconds), (deadline, sequence));
        if (_timer is null || deadline < _timerDue)
        {
            Arm(deadline);
        }
    }

    /// <summary>A watched command got its answer (RECEIPT, or an ERROR naming it).</summary>
    public void Answered(long sequence)
    {
        if (_queue.TryPeek(out var head, out _) && head.Sequence == sequence)
        {
            _queue.Dequeue();
            DropAnsweredHeads();
            return;
        }

        _answered++;

        // Answers out of turn pile up behind a slow head: rebuild when they are most of
        // the queue, so that memory follows what is pending, not what went by.
        if (_answered > 64 && _answered * 2 > _queue.Count)
        {
            Rebuild();
        }
    }

    /// <summary>Forgets every deadline: the commands were all answered or aborted at once (a connection's end), or are about to be written afresh.</summary>
    public void Clear()
    {
        _queue.Clear();
        _answered = 0;
        _timer?.Dispose();
        _timer = null;
    }

    private void Arm(double deadline)
    {
        _timer?.Dispose();

        // The loop counts from the pass's cached time, a little behind the clock: the timer
        // may fire a little early, and Fire then arms it again for what is left.
        _timer = _loop.Timer(Math.Max(0, deadline - Now), 0, _fire);
        _timerDue = deadline;
    }

    private void Fire()
    {
        _timer?.Dispose();
        _timer = null;
        while (_queue.TryPeek(out var head, out var key))
        {
            // Asked of every head here, not only while answers out of turn are counted:
            // the timer is rare, and a command must never time out on another's behalf.
            if (!_isAwaited(head))
            {
                _queue.Dequeue();
                _answered = Math.Max(0, _answered - 1);
                continue;
            }

            if (key.Deadline > Now)
            {
                Arm(key.Deadline);
                return;
            }

            _queue.Dequeue();
            _expired(head);
            break;
        }

        // The client clears the queue as it gives the connection up; should anything be
        // left, it is still watched.
        if (_timer is null && _queue.TryPeek(out _, out var next))
        {
            Arm(next.Deadline);
        }
    }

    private void DropAnsweredHeads()
    {
        while (_answered > 0 && _queue.TryPeek(out var head, out _) && !_isAwaited(head))
        {
            _queue.Dequeue();
            _answered--;
        }
    }

    private void Rebuild()
    {
        foreach (var item in _queue.UnorderedItems)
        {
            if (_isAwaited(item.Element))
            {
                _rebuild.Add(item);
            }
        }

        _queue.Clear();
        _queue.EnqueueRange(_rebuild);
        _rebuild.Clear();
        _answered = 0;
    }

    /// <summary>
    /// One watched command: its issue sequence, its receipt id (null while it waits,
    /// unwritten, for the session), and its timeout in seconds, for the error's text.
    /// </summary>
    internal readonly record struct Entry(long Sequence, string? ReceiptId, double Seconds);
}
