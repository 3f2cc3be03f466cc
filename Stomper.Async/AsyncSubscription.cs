using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Stomper.Async;

/// <summary>
/// A live subscription of the async client: the messages as an
/// <see cref="IAsyncEnumerable{T}"/> (<c>await foreach (var msg in subscription)</c>), or
/// handed to the handler given to
/// <see cref="AsyncStomperClient.SubscribeAsync(CommandParams, Func{Frame, CancellationToken, ValueTask}, CancellationToken)"/>.
/// Disposing it unsubscribes (UNSUBSCRIBE, awaiting its RECEIPT).
/// </summary>
/// <remarks>
/// <para>Messages wait in a buffer of <see cref="AsyncStomperOptions.MessageBufferSize"/>
/// messages. When it is full the client stops reading from the server until the consumer
/// has taken half of them: nothing is dropped, memory stays bounded, and the broker holds
/// the rest. While a command's RECEIPT is awaited (which may be what this consumer waits
/// for, behind the messages) a full buffer keeps reading, up to
/// <see cref="AsyncStomperOptions.MessageBufferLimit"/>. The pause is the connection's (TCP has one stream), so it holds back the
/// other subscriptions and RECEIPTs on that connection too. With <c>client</c> or
/// <c>client-individual</c> acks, <see cref="AsyncStomperOptions.BrokerPrefetch"/> (on by
/// default) has the broker hold a slow consumer back before its buffer fills; with
/// <c>auto</c> acks, keep a slow consumer on a client of its own. Once you
/// dispose the subscription (or disconnect) it holds nothing back any more, so that the
/// UNSUBSCRIBE's (DISCONNECT's) RECEIPT is read: what arrives for it meanwhile while its
/// buffer is full is dropped (a message with <c>client</c> acks goes back to the broker).</para>
/// <para>The enumeration ends when the subscription does: normally after
/// <see cref="DisposeAsync"/> or <see cref="AsyncStomperClient.DisconnectAsync"/>, with a
/// <see cref="StompException"/> (<c>Subscription "&lt;id&gt;" lost: ...</c>) when its
/// connection failed and it was not made again (a cluster makes it again on the next
/// node). Messages already buffered are delivered first.</para>
/// </remarks>
public sealed class AsyncSubscription : IAsyncEnumerable<Frame>, IAsyncDisposable
{
    private readonly AsyncStomperClient _client;
    private readonly Channel<Frame> _buffer = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
        AllowSynchronousContinuations = false,
    });

    // What the subscription holds back (_holding): nothing, a full buffer, or a buffer
    // grown to its limit while a reply was awaited (both holds then).
    private const int Free = 0;
    private const int Full = 1;
    private const int AtLimit = 2;

    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _capacity;
    private readonly int _limit;

    // Two counters, each written by one thread only (the loop delivers, the consumer takes),
    // so the per-message path has no interlocked operation on a line both threads write.
    private long _delivered;
    private long _taken;
    private int _holding;
    private bool _awaitingConfirmation;
    private int _consuming;
    private int _disposing;
    private int _over;
    private bool _leaving;

    internal AsyncSubscription(AsyncStomperClient client, string id, int capacity, int limit)
    {
        _client = client;
        Id = id;
        _capacity = capacity;
        _limit = limit;
        OnMessage = Deliver;
        OnReceipt = Answer;
    }

    /// <summary>The subscription's <c>id</c> header: the caller's, else one the client chose.</summary>
    public string Id { get; }

    /// <summary>How many messages wait in the buffer now.</summary>
    public int Buffered => (int)(Volatile.Read(ref _delivered) - Volatile.Read(ref _taken));

    /// <summary>
    /// Completes when the subscription is over: normally once unsubscribed or
    /// disconnected; faulted with a <see cref="StompException"/> when it was lost, or with
    /// the exception of a handler that threw.
    /// </summary>
    public Task Completion => _ended.Task;

    internal Action<Frame> OnMessage { get; }

    internal Action<Frame?, StompError?> OnReceipt { get; }

    /// <summary>The SUBSCRIBE's first answer: its RECEIPT, or its failure.</summary>
    internal Task Confirmed => _confirmed.Task;

    /// <summary>Reads the messages in the order the broker sent them; one consumer at a time.</summary>
    public IAsyncEnumerator<Frame> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _consuming, 1) != 0)
        {
            throw Errors.SubscriptionAlreadyEnumerated(Id);
        }

        return Read(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Unsubscribes (UNSUBSCRIBE, awaiting its RECEIPT) unless the subscription is over already; the enumeration then ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0 || Volatile.Read(ref _over) != 0)
        {
            return;
        }

        try
        {
            await _client.UnsubscribeAsync(this).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StompException or ObjectDisposedException)
        {
            // The connection is gone, and the subscription with it: it is over either way.
        }

        await _client.Bridge.RunAsync(() => End(null)).ConfigureAwait(false);
    }

    /// <summary>Hands each message to <paramref name="handler"/>, one at a time, until the subscription ends.</summary>
    internal async Task Pump(Func<Frame, CancellationToken, ValueTask> handler)
    {
        var messages = GetAsyncEnumerator(CancellationToken.None);
        await using (messages.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await messages.MoveNextAsync().ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (StompException)
                {
                    // The subscription was lost: Completion carries the error already.
                    return;
                }

                try
                {
                    await handler(messages.Current, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    // The subscription ended while a handler ran, and the handler stopped for it.
                    return;
                }
                catch (Exception e)
                {
                    // A handler that throws, a StompException of a command it awaited
                    // included, ends the subscription with its exception, rather than
                    // leaving messages unread.
                    _ended.TrySetException(e);
                    break;
                }
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>On the loop: the subscription is over; with an error, the consumer hears it after the buffered messages.</summary>
    internal void End(StompError? error)
    {
        if (_over != 0)
        {
            return;
        }

        Volatile.Write(ref _over, 1);
        _client.Forget(this);
        var exception = error is null ? null : new StompException(error);
        _buffer.Writer.TryComplete(exception);
        _confirmed.TrySetException(exception ?? (Exception)new ObjectDisposedException(nameof(AsyncStomperClient)));
        _ = _confirmed.Task.Exception;
        if (exception is null)
        {
            _ended.TrySetResult();
        }
        else
        {
            _ended.TrySetException(exception);

            // Told through the enumeration already: a Completion nobody awaits must not
            // come back later as an unobserved task exception.
            _ = _ended.Task.Exception;
        }

        LetGo();

        // Asynchronously: the token's callbacks are the handler's code, never for the loop's thread.
        _ = _stopping.CancelAsync();
    }

    /// <summary>
    /// On the loop, as its UNSUBSCRIBE (or the client's DISCONNECT) goes out: it stops
    /// holding reading back, for good, so that the RECEIPT behind the messages is read.
    /// </summary>
    internal void Leave()
    {
        _leaving = true;
        LetGo();
    }

    /// <summary>On the loop, as the SUBSCRIBE goes out: the client counts its RECEIPT among the replies awaited until <see cref="Confirmation"/>.</summary>
    internal void AwaitConfirmation()
    {
        _awaitingConfirmation = true;
        _client.ReplyAwaited();
    }

    /// <summary>On the loop: the SUBSCRIBE's first answer, or its refusal at the call.</summary>
    internal void Confirmation()
    {
        if (_awaitingConfirmation)
        {
            _awaitingConfirmation = false;
            _client.ReplyCame();
        }
    }

    private async IAsyncEnumerable<Frame> Read([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _buffer.Reader;
        try
        {
            while (true)
            {
                while (reader.TryRead(out var message))
                {
                    Taken();
                    yield return message;
                }

                // About to wait with everything taken: a full fence, then a last look at
                // the flag the loop may have raised meanwhile (the loop looks again at the
                // count after raising it), so that a pause can never outlast the messages.
                Interlocked.MemoryBarrier();
                ResumeIfDrained();
                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _consuming, 0);
        }
    }

    /// <summary>On the loop: a MESSAGE for this subscription.</summary>
    private void Deliver(Frame message)
    {
        if (_over != 0)
        {
            return;
        }

        if (_leaving && _delivered - Volatile.Read(ref _taken) >= _capacity)
        {
            // Unsubscribing with a full buffer: the consumer is leaving, and a pause now
            // would hold back the RECEIPT it waits for.
            return;
        }

        _buffer.Writer.TryWrite(message);
        var delivered = _delivered + 1;
        Volatile.Write(ref _delivered, delivered);
        if (_leaving || delivered - Volatile.Read(ref _taken) < _capacity)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _holding, Full, Free) == Free)
        {
            _client.Hold();
            LetGoIfDrained(delivered, Full);
        }

        // Past its size only while a reply was awaited; at the limit it stops reading even so.
        if (delivered - Volatile.Read(ref _taken) >= _limit && Interlocked.CompareExchange(ref _holding, AtLimit, Full) == Full)
        {
            _client.HoldAtLimit();
            LetGoIfDrained(delivered, AtLimit);
        }
    }

    /// <summary>
    /// On the loop, just after holding: the consumer may have emptied the buffer between the
    /// count and the flag, and seen no flag to lower: look again, or the pause would never end.
    /// </summary>
    private void LetGoIfDrained(long delivered, int state)
    {
        if (delivered - Volatile.Read(ref _taken) <= _capacity / 2 && Interlocked.CompareExchange(ref _holding, Free, state) == state)
        {
            Released(state);
        }
    }

    /// <summary>On the loop: this subscription holds nothing back any more.</summary>
    private void LetGo() => Released(Interlocked.Exchange(ref _holding, Free));

    private void Released(int state)
    {
        if (state == AtLimit)
        {
            _client.ReleaseAtLimit();
        }
        else if (state == Full)
        {
            _client.Release();
        }
    }

    /// <summary>On the consumer's thread: one message taken; at half the buffer, reading goes on.</summary>
    private void Taken()
    {
        Volatile.Write(ref _taken, _taken + 1);
        if (Volatile.Read(ref _holding) != Free)
        {
            ResumeIfDrained();
        }
    }

    private void ResumeIfDrained()
    {
        var state = Volatile.Read(ref _holding);
        if (state != Free && Volatile.Read(ref _delivered) - _taken <= _capacity / 2 && Interlocked.CompareExchange(ref _holding, Free, state) == state)
        {
            _client.ReleaseFromConsumer(atLimit: state == AtLimit);
        }
    }

    /// <summary>On the loop: the SUBSCRIBE's answers. The first confirms it; a failure after that ends it.</summary>
    private void Answer(Frame? receipt, StompError? error)
    {
        Confirmation();
        if (!_confirmed.Task.IsCompleted)
        {
            if (error is null)
            {
                _confirmed.TrySetResult();
            }
            else
            {
                End(error);
            }

            return;
        }

        // A cluster that made it again on another node confirms it again: nothing to do.
        if (error is not null)
        {
            End(error);
        }
    }
}
