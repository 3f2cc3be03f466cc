using System.Threading.Tasks.Sources;

namespace Stomper.Async.Engine;

/// <summary>
/// One command on its way from a caller to the engine and back: the awaitable behind a
/// <see cref="ValueTask"/>. Pooled per client, so that a stream of SENDs, ACKs or NACKs
/// allocates no operation, no delegate and no copy of the headers once warmed up.
/// </summary>
/// <remarks>
/// <para>Two parties hold an operation: the loop (from <see cref="Run"/> until the
/// engine's callback, or until it skips a cancelled command) and the awaiter (until it
/// takes the result); a third, the cancellation callback, while it may still run. It goes
/// back to the pool when all have let go, so neither a late engine callback nor a late
/// cancellation lands in an operation already reused for another command.</para>
/// <para>The first of the engine's answer and the caller's cancellation completes it.
/// A command cancelled before the loop takes it is never written; once it is written it
/// is written whole (the engine writes frames whole), and cancelling then only stops the
/// wait.</para>
/// </remarks>
internal sealed class CommandOperation : IValueTaskSource, ILoopWork
{
    private readonly CommandParams _parameters = new();
    private readonly Action<Frame?, StompError?> _onAnswer;
    private readonly Action<object?, CancellationToken> _onCancel;
    private readonly AsyncStomperClient _owner;
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private string _name = string.Empty;
    private Action<Frame?, StompError?>? _after;
    private Action? _before;
    private int _completed;
    private int _holders;

    /// <summary>1 while the client counts this command among the replies awaited; whoever takes it back to 0 uncounts it.</summary>
    private int _awaitingReply;

    public CommandOperation(AsyncStomperClient owner)
    {
        _owner = owner;
        _onAnswer = Answer;
        _onCancel = static (state, token) => ((CommandOperation)state!).Cancel(token);
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>
    /// Fills the operation for one call. <paramref name="after"/>, when given, runs on the
    /// loop with the engine's answer before the caller hears it (a DISCONNECT ending the
    /// subscriptions, say). <paramref name="transaction"/> sets the <c>transaction</c>
    /// header and <paramref name="receipt"/> asks for a RECEIPT, unless the call gave one.
    /// <paramref name="before"/>, when given, runs on the loop just before the command is
    /// handed to the engine, and not at all for a command cancelled on its way.
    /// </summary>
    public ValueTask Start(string name, CommandParams parameters, CancellationToken cancellationToken, Action<Frame?, StompError?>? after = null, string? transaction = null, bool receipt = false, Action? before = null)
    {
        _parameters.CopyFrom(parameters);

        // The async face answers through the task; callbacks meant for the loop's thread
        // would run user code there.
        _parameters.OnReceipt = null;
        _parameters.OnMessage = null;
        _parameters.OnNodeError = parameters.OnNodeError is { } onNodeError ? _owner.OffLoop(onNodeError) : null;
        _before = before;
        return Launch(name, cancellationToken, after, transaction, receipt);
    }

    /// <summary>Fills the operation for a SEND of a text body, the common case, without a parameter object of the caller's.</summary>
    public ValueTask Start(string name, string destination, string body, CancellationToken cancellationToken)
    {
        _parameters["destination"] = destination;
        _parameters.Body = body;
        return Launch(name, cancellationToken, after: null, transaction: null, receipt: false);
    }

    /// <summary>Fills the operation for an ACK or NACK of <paramref name="message"/>, without a parameter object of the caller's.</summary>
    public ValueTask Start(string name, Frame message, CancellationToken cancellationToken, string? transaction = null)
    {
        _parameters.Message = message;
        return Launch(name, cancellationToken, after: null, transaction, receipt: false);
    }

    private ValueTask Launch(string name, CancellationToken cancellationToken, Action<Frame?, StompError?>? after, string? transaction, bool receipt)
    {
        _name = name;
        if (transaction is not null)
        {
            _parameters["transaction"] = transaction;
        }

        if (receipt && _parameters["receipt"] is null)
        {
            _parameters["receipt"] = "auto";
        }

        _after = after;
        _completed = 0;
        _holders = cancellationToken.CanBeCanceled ? 3 : 2;
        var task = new ValueTask(this, _core.Version);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(_onCancel, this);
            if (_registration == default && !cancellationToken.IsCancellationRequested)
            {
                // The token's source is disposed: no callback will ever come to let go.
                Release();
            }
        }

        _owner.Bridge.Enqueue(this);
        return task;
    }

    /// <summary>The command's parameters, for the journal's room check.</summary>
    public CommandParams Parameters => _parameters;

    /// <summary>Completed already (cancelled while it waited): nothing is left to send.</summary>
    public bool IsFinished => Volatile.Read(ref _completed) != 0;

    /// <summary>On the loop: hands the command to the engine, unless it was cancelled on its way or waits for room in the send journal.</summary>
    public void Run()
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            Release();
            return;
        }

        if (_owner.WaitsForRoom(this, _name))
        {
            return;
        }

        try
        {
            _before?.Invoke();

            // Counted before the engine has it, which may answer at once.
            var awaitsReply = _owner.AwaitsReply(_name, _parameters);
            if (awaitsReply)
            {
                Interlocked.Exchange(ref _awaitingReply, 1);
                _owner.ReplyAwaited();
            }

            _owner.Engine.Execute(_name, _parameters, _onAnswer);

            // Cancelled meanwhile, on another thread that found nothing to uncount yet:
            // nobody waits for the reply any more.
            if (awaitsReply && Volatile.Read(ref _completed) != 0)
            {
                StopAwaitingReply();
            }
        }
        catch (Exception e)
        {
            // Refused at the call (an argument the engine checks, a disposed engine): no
            // frame left and no callback will come.
            StopAwaitingReply();
            Finish(e);
            Release();
        }
    }

    public void Abandon(Exception error)
    {
        Finish(error);
        Release();
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>The engine's answer, on the loop.</summary>
    private void Answer(Frame? receipt, StompError? error)
    {
        StopAwaitingReply();
        try
        {
            _after?.Invoke(receipt, error);
        }
        finally
        {
            Finish(error is null ? null : new StompException(error));
            Release();
        }
    }

    /// <summary>The token's callback: the first to finish wins, and the callback lets go either way.</summary>
    private void Cancel(CancellationToken token)
    {
        Finish(new OperationCanceledException(token), fromCancellation: true);

        // Nobody waits for the reply now, so it need not keep a full buffer reading.
        if (Interlocked.Exchange(ref _awaitingReply, 0) == 1)
        {
            _owner.ReplyAbandoned();
        }

        Release();
    }

    /// <summary>On the loop: the command no longer counts among the replies awaited, if it did.</summary>
    private void StopAwaitingReply()
    {
        if (Interlocked.Exchange(ref _awaitingReply, 0) == 1)
        {
            _owner.ReplyCame();
        }
    }

    private void Finish(Exception? error, bool fromCancellation = false)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        // A callback taken off the registration will never run: its hold ends here. One
        // that is running already (or has run) lets go itself, so until it has, the
        // operation cannot be reused and completed by it as another command. Unregister,
        // not Dispose: Dispose would wait for a running callback, on the loop's thread.
        if (!fromCancellation && _registration.Unregister())
        {
            Release();
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _registration = default;
            _after = null;
            _before = null;
            _parameters.Clear();
            _core.Reset();
            _owner.Return(this);
        }
    }
}
