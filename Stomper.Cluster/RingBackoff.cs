using EventLoop;

namespace Stomper.Cluster;

/// <summary>
/// A <see cref="ReconnectPolicy"/> at work across the node ring: counts the node attempts
/// that failed in a row, holds back the commands bound for the active node once a whole
/// round has failed, and lets them go when the backoff timer fires. One attempt is one
/// node tried: the nodes of a round follow one another at once, so that a failover to a
/// live node is not delayed; the pause comes only when no node answered.
/// </summary>
internal sealed class RingBackoff : IDisposable
{
    private readonly ReconnectPolicy _policy;
    private readonly Random _random;
    private readonly Loop _loop;
    private readonly int _nodeCount;
    private readonly Action<List<ClusterCommand>> _nextRound;
    private readonly List<ClusterCommand> _waiting = [];
    private TimerWatcher? _timer;
    private int _roundBegunAt;
    private int _waitingCommands;

    public RingBackoff(ReconnectPolicy policy, Random random, Loop loop, int nodeCount, Action<List<ClusterCommand>> nextRound)
    {
        _policy = policy;
        _random = random;
        _loop = loop;
        _nodeCount = nodeCount;
        _nextRound = nextRound;
    }

    /// <summary>Node attempts failed in a row since a node last answered, or since the policy last gave up.</summary>
    public int FailuresInARow { get; private set; }

    /// <summary>
    /// Which run of attempts the cluster is in: it changes when the policy gives up. A command
    /// whose attempt began in an earlier run was given up with it, and is not tried again.
    /// </summary>
    public int Series { get; private set; }

    public int MaxAttempts => _policy.MaxAttempts ?? int.MaxValue;

    public int MaxWaitingCommands => _policy.MaxWaitingCommands;

    /// <summary>The commands counted against <see cref="MaxWaitingCommands"/> now: added by the application while no node answered, and not answered yet (for tests).</summary>
    public int WaitingCommands => _waitingCommands;

    /// <summary>
    /// True from a node's failure until a node answers: what the application issues then is
    /// added while no node answers, whether it waits at once or first reaches a node of the
    /// round under way. A given-up run or force_disconnect does not end it; only an answer does.
    /// </summary>
    public bool Outage { get; private set; }

    /// <summary>The wait before the next round, while it lasts (for tests).</summary>
    public TimeSpan? CurrentDelay { get; private set; }

    /// <summary>True from the end of a failed round until the next round begins: a command for the active node waits.</summary>
    public bool MustWait => _timer is not null || (FailuresInARow > 0 && FailuresInARow % _nodeCount == 0 && FailuresInARow != _roundBegunAt);

    /// <summary>The active node failed: one more attempt in the row; at the policy's limit, the run is given up.</summary>
    public void NodeFailed()
    {
        Outage = true;
        if (++FailuresInARow >= MaxAttempts)
        {
            Series++;
            FailuresInARow = 0;
            _roundBegunAt = 0;
        }
    }

    /// <summary>A node answered (CONNECTED, or a command's reply): the count starts afresh.</summary>
    public void NodeAnswered()
    {
        Outage = false;
        FailuresInARow = 0;
        _roundBegunAt = 0;
    }

    /// <summary>
    /// Holds <paramref name="command"/> until the next round, arming the backoff if this is
    /// the first; false when it would be one command too many.
    /// </summary>
    /// <remarks>
    /// What counts against <see cref="MaxWaitingCommands"/> is what the application added
    /// while no node answers: a command held before it ever reached a node, or issued during
    /// the outage and sent to a node of a round that then failed. What the cluster
    /// runs again of its own accord after a node failed it (a SEND, the send journal's
    /// included, a BEGIN, a subscription being kept) was admitted while a node answered, and
    /// is bounded where it was admitted (the journal's bounds, the application's own pace):
    /// refusing it here would fail a command the cluster promised to carry through the
    /// outage. A counted command stays counted across rounds until it is answered
    /// (<see cref="Answered"/>), so that each failed round does not admit as many again.
    /// </remarks>
    public bool Hold(ClusterCommand command)
    {
        if (!command.CountsAsWaiting && (command.Session is null || command.AddedInOutage))
        {
            if (_waitingCommands >= _policy.MaxWaitingCommands)
            {
                return false;
            }

            _waitingCommands++;
            command.CountsAsWaiting = true;
        }

        command.IsWaiting = true;
        _waiting.Add(command);
        if (_timer is null)
        {
            var delay = _policy.Delay(Math.Max(1, FailuresInARow / _nodeCount), _random);
            CurrentDelay = delay;
            _timer = _loop.Timer(delay.TotalSeconds, 0, NextRound);
        }

        return true;
    }

    /// <summary><paramref name="command"/> has its final answer, however it came: it no longer counts against <see cref="MaxWaitingCommands"/>.</summary>
    public void Answered(ClusterCommand command)
    {
        command.AddedInOutage = false;
        if (command.CountsAsWaiting)
        {
            command.CountsAsWaiting = false;
            _waitingCommands--;
        }
    }

    /// <summary>Stops the backoff and hands back what waited, in issue order (force_disconnect answers it).</summary>
    public List<ClusterCommand> Stop()
    {
        CancelTimer();
        FailuresInARow = 0;
        _roundBegunAt = 0;
        return TakeWaiting();
    }

    public void Dispose()
    {
        CancelTimer();
        TakeWaiting();
    }

    private void NextRound()
    {
        CancelTimer();
        _roundBegunAt = FailuresInARow;
        _nextRound(TakeWaiting());
    }

    private List<ClusterCommand> TakeWaiting()
    {
        var waiting = _waiting.OrderBy(c => c.Sequence).ToList();
        waiting.ForEach(c => c.IsWaiting = false);
        _waiting.Clear();
        return waiting;
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
        CurrentDelay = null;
    }
}
