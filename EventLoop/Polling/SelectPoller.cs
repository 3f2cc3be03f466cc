using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// The portable backend: <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>
/// (poll(2) underneath) over every watched socket, its lists rebuilt on each wait, so a wait
/// costs in proportion to the sockets watched. Used where epoll is missing, or when forced
/// (<c>STOMPER_LOOP_BACKEND=select</c>).
/// </summary>
internal sealed class SelectPoller : IoPoller
{
    private readonly Dictionary<Socket, IoRegistration> _registered = new();
    private readonly List<Socket> _readSet = [];
    private readonly List<Socket> _writeSet = [];
    private readonly List<Socket> _errorSet = [];
    private readonly DatagramWakeup _wakeup = new();

    public override string Name => "select";

    public override Wakeup Wakeup => _wakeup;

    public override void Add(IoRegistration registration) => _registered.Add(registration.Socket, registration);

    public override void Update(IoRegistration registration)
    {
        // The lists are built afresh on every wait.
    }

    public override void Remove(IoRegistration registration) => _registered.Remove(registration.Socket);

    public override void Dispose() => _wakeup.Dispose();

    protected override void WaitForReady(int timeoutMicroseconds)
    {
        _readSet.Clear();
        _writeSet.Clear();
        _errorSet.Clear();
        _readSet.Add(_wakeup.Socket);
        foreach (var (socket, registration) in _registered)
        {
            if (registration.Handle.IsClosed)
            {
                continue;
            }

            if (registration.Readers > 0)
            {
                _readSet.Add(socket);
            }

            if (registration.Writers > 0)
            {
                _writeSet.Add(socket);
            }

            _errorSet.Add(socket);
        }

        Socket.Select(_readSet, _writeSet.Count > 0 ? _writeSet : null, _errorSet.Count > 0 ? _errorSet : null, timeoutMicroseconds);
        var woken = _readSet.Remove(_wakeup.Socket);
        if (woken || !_wakeup.IsIdle)
        {
            _wakeup.Reset();
        }

        Collect(_errorSet, IoReadiness.Error);
        Collect(_readSet, IoReadiness.Read);
        Collect(_writeSet, IoReadiness.Write);
        foreach (var list in (ReadOnlySpan<List<Socket>>)[_errorSet, _readSet, _writeSet])
        {
            foreach (var socket in list)
            {
                var registration = _registered[socket];
                if (registration.Found != IoReadiness.None)
                {
                    AddReady(registration, registration.Found);
                    registration.Found = IoReadiness.None;
                }
            }
        }
    }

    private void Collect(List<Socket> sockets, IoReadiness readiness)
    {
        foreach (var socket in sockets)
        {
            _registered[socket].Found |= readiness;
        }
    }
}
