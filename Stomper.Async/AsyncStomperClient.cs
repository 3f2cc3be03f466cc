using System.Collections.Concurrent;
using EventLoop;
using Stomper.Async.Engine;
using Stomper.Cluster;

namespace Stomper.Async;

/// <summary>
/// The Task-based face of Stomper, for code that lives in async/await and thread pools:
/// the same engine as <see cref="StomperClient"/> (one server) or
/// <see cref="StomperCluster"/> (a cluster), chosen by <see cref="AsyncStomperOptions"/>,
/// behind one API. Every member is thread-safe and takes a <see cref="CancellationToken"/>.
/// </summary>
/// <remarks>
/// <para>The engine runs on one loop thread, the client's own or a loop you run
/// (docs/async.md). Commands cross to it in batches (one wake-up for all the commands queued
/// while it was busy); answers come back as completed tasks, and your code, message
/// handlers and enumerations included, always continues on the thread pool, never on the
/// loop's thread, so a slow handler cannot starve heart-beats or other subscriptions.</para>
/// <para>A command fails with a <see cref="StompException"/> carrying the callback API's
/// <see cref="StompError"/> (code, message, frame). A cancelled command that had not yet
/// reached the loop is not sent; once it has, it is written whole and cancelling only
/// stops the wait.</para>
/// </remarks>
public sealed class AsyncStomperClient : IAsyncDisposable
{
    /// <summary>The parameters of a command with no headers of its own; only ever copied from.</summary>
    private static readonly CommandParams s_empty = new();

    private readonly AsyncStomperOptions _options;
    private readonly UserCallbacks _callbacks;
    private readonly ConcurrentQueue<CommandOperation> _spare = new();
    private readonly ConcurrentDictionary<AsyncTransaction, bool> _transactions = new();
    private readonly List<TaskCompletionSource> _connectWaiters = [];
    private readonly HashSet<AsyncSubscription> _subscriptions = [];
    private readonly Action _release;
    private readonly Action _releaseAtLimit;
    private readonly Action _replyGone;
    private readonly int _bufferLimit;
    private readonly HashSet<string> _receiptByDefault = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _receiptForAll;
    private CommandMethods? _engine;
    private Exception? _buildFailure;
    private Action _pause = null!;
    private Action _resume = null!;
    private Func<bool>? _isConnected;
    private bool _connecting;
    private StompError? _loginFailure;
    private int _holds;
    private int _holdsAtLimit;
    private int _awaitedReplies;
    private bool _paused;
    private long _ids;
    private int _disposed;
    private Task? _closing;
    private Action<Frame?, StompError?>? _endSubscriptions;
    private Action? _leaveSubscriptions;

    /// <summary>On the loop: SENDs waiting, in order, for room in the cluster's send journal.</summary>
    private readonly Queue<CommandOperation> _awaitingRoom = new();

    /// <summary>On the loop: the waiting SEND let in now, which must not queue again behind the others.</summary>
    private CommandOperation? _admitted;

    /// <summary>
    /// Creates the engine on its loop and starts the loop's thread when it is the client's
    /// own. A single server that is not <c>Lazy</c> starts connecting at once, as
    /// <see cref="StomperClient"/> does; <see cref="ConnectAsync(CancellationToken)"/> waits for it.
    /// On a loop of yours, called from another thread than the loop's, the engine is built on
    /// the loop's next pass; a cluster option it refuses then fails the first command.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of Client and Cluster set, a <see cref="AsyncStomperOptions.MessageBufferSize"/> below 1, a <see cref="AsyncStomperOptions.MessageBufferLimit"/> below it, or an option the engine refuses (the callback API's texts).</exception>
    public AsyncStomperClient(AsyncStomperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.Client is null) == (options.Cluster is null))
        {
            throw Errors.AsyncNeedsClientOrCluster();
        }

        if (options.MessageBufferSize <= 0)
        {
            throw Errors.MessageBufferSizeNotPositive();
        }

        _bufferLimit = options.MessageBufferLimit ?? (int)Math.Min(int.MaxValue, 64L * options.MessageBufferSize);
        if (_bufferLimit < options.MessageBufferSize)
        {
            throw Errors.MessageBufferLimitBelowSize(_bufferLimit, options.MessageBufferSize);
        }

        _options = options;
        _release = Release;
        _releaseAtLimit = ReleaseAtLimit;
        _replyGone = ReplyCame;
        foreach (var (command, headers) in options.Client?.CommandHeaders ?? options.Cluster?.CommandHeaders ?? new Dictionary<string, IReadOnlyDictionary<string, string>>())
        {
            // As the engine reads them: any case of the command's name; a null entry is its error to report.
            if (headers?.ContainsKey("receipt") == true)
            {
                _receiptByDefault.Add(command);
            }
        }

        // A default receipt header goes on every command the engine writes.
        _receiptForAll = (options.Client?.DefaultHeaders ?? options.Cluster?.DefaultHeaders)?.ContainsKey("receipt") == true;
        _callbacks = new UserCallbacks(ReportUnhandled);
        Bridge = new LoopBridge(options.Client is { } single ? single.Loop : options.Cluster!.Loop);
        if (Bridge.OwnsLoop)
        {
            // The engine's own callbacks do not throw; should one, the loop carries on
            // rather than leave every caller waiting on a dead thread, and the user hears
            // of it off the loop's thread, as of everything else.
            Bridge.Loop.UnhandledException = e => _callbacks.Raise(() => ReportUnhandled(e));
            try
            {
                Build();
            }
            catch
            {
                Bridge.Loop.Dispose();
                throw;
            }

            Bridge.Start();
        }
        else if (Bridge.Loop.IsLoopThread)
        {
            Build();
        }
        else
        {
            // Your loop: the engine is built on its thread, as the first work queued there,
            // so every command finds it built. Not waited for: a loop not yet running (or
            // just starting on another thread) would keep this constructor waiting, or
            // race it. The options a single client checks are checked here all the same.
            if (options.Client is { } checkedNow)
            {
                OptionChecks.Check(checkedNow);
            }

            _ = Bridge.RunAsync(BuildOrRemember);
        }
    }

    /// <summary><c>on_connect</c> of the single server: its TCP connection is made (before the login). On the thread pool.</summary>
    public event Action? Connected;

    /// <summary><c>on_disconnect</c> of the single server: a TCP connection that was made has ended. On the thread pool.</summary>
    public event Action? Disconnected;

    /// <summary><c>on_error</c>: connection errors, and errors no task is waiting for. On the thread pool.</summary>
    public event Action<StompError>? Error;

    /// <summary><c>on_node_connect</c> (a single server is a cluster of one node here too). On the thread pool.</summary>
    public event Action<string, int>? NodeConnected;

    /// <summary><c>on_node_disconnect</c>. On the thread pool.</summary>
    public event Action<string, int>? NodeDisconnected;

    /// <summary><c>on_node_error</c>: a node failed (a cluster fails over before this is raised). On the thread pool.</summary>
    public event Action<StompError, string, int>? NodeError;

    /// <summary>An exception thrown by one of your callbacks or event handlers; without a handler it is written to standard error.</summary>
    public event Action<Exception>? UnhandledException;

    /// <summary>True when the options named a cluster.</summary>
    public bool IsCluster => _options.Cluster is not null;

    /// <summary>The loop the engine runs on.</summary>
    public Loop Loop => Bridge.Loop;

    /// <summary>Whether the session (of the active node, for a cluster) is up; a snapshot, as any state read across threads.</summary>
    public bool IsConnected => _isConnected?.Invoke() ?? false;

    internal LoopBridge Bridge { get; }

    /// <summary>The engine, on the loop; an engine that could not be built fails every command with the reason.</summary>
    internal CommandMethods Engine => _engine ?? throw _buildFailure!;

    /// <summary>Creates the client and waits until its session is up (see <see cref="ConnectAsync(CancellationToken)"/>).</summary>
    public static async Task<AsyncStomperClient> ConnectAsync(AsyncStomperOptions options, CancellationToken cancellationToken = default)
    {
        var client = new AsyncStomperClient(options);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits until the session is up: CONNECTED received. Fails with the connection's
    /// <see cref="StompException"/> (<c>Can't connect to ...</c>, a refused login). Returns
    /// at once when no connection is under way: a <c>Lazy</c> client and a cluster connect
    /// on their first command, as in the original, and report its failure there. After a
    /// failed login, and until the next connection, it fails with that login's error.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Bridge.RunAsync(() =>
        {
            _ = Engine;
            if (_connecting)
            {
                _connectWaiters.Add(waiter);
            }
            else if (_loginFailure is { } failure)
            {
                waiter.TrySetException(new StompException(failure));
            }
            else
            {
                waiter.TrySetResult();
            }
        }).ConfigureAwait(false);
        await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A snapshot of every node, taken on the loop: which is active, whether its session is
    /// up, and how fresh its heart-beats are (one entry for a single server; a cluster's
    /// nodes in the order given). Beyond the original, for health checks; it sends nothing.
    /// </summary>
    public async Task<IReadOnlyList<StompNodeStatus>> GetNodeStatusAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        IReadOnlyList<StompNodeStatus> snapshot = [];
        await Bridge.RunAsync(() =>
        {
            snapshot = Engine switch
            {
                StomperCluster cluster => [.. cluster.Nodes().Select(node => NodeStatus(node, ReferenceEquals(node, cluster.ActiveNode)))],
                var single => [NodeStatus((IStomperClient)single, active: true)],
            };
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>
    /// DISCONNECT, completing when its RECEIPT arrives and the connection has closed; every
    /// subscription then ends (its enumeration finishes, after the messages it buffered).
    /// A pause for a full buffer ends with the DISCONNECT: its RECEIPT is read, and what
    /// arrives for a full buffer before it is dropped. The next command connects again.
    /// </summary>
    public ValueTask DisconnectAsync(CancellationToken cancellationToken = default) =>
        Command(StompCommands.Disconnect, s_empty, cancellationToken, _endSubscriptions ??= (_, _) => EndSubscriptions(), before: _leaveSubscriptions ??= LeaveSubscriptions);

    /// <summary>
    /// SEND. Without a <c>receipt</c> header it completes once the frame is handed to the
    /// socket (the engine's write confirmation); with one (<c>["receipt"] = "auto"</c>) when
    /// the RECEIPT arrives. The headers and body are copied at the call; the bytes of
    /// <see cref="CommandParams.BodyBytes"/> are lent until the task completes. With a
    /// cluster, a SEND whose node fails runs again on the next one.
    /// </summary>
    /// <exception cref="StompException">The broker refused it (<c>E_OPRN_ERROR</c>, the ERROR frame attached) or the connection failed.</exception>
    public ValueTask SendAsync(CommandParams parameters, CancellationToken cancellationToken = default) =>
        Command(StompCommands.Send, parameters, cancellationToken);

    /// <summary>SEND of a text body to a destination, the common case (no parameter object is made for it).</summary>
    public ValueTask SendAsync(string destination, string body, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return Rent().Start(StompCommands.Send, destination, body, cancellationToken);
    }

    /// <summary>ACK of a message this client delivered, routed to the node (connection) that delivered it.</summary>
    /// <exception cref="StompException"><c>Unexpected ACK sent.</c> for a message not awaiting acknowledgement, or the delivering connection has closed.</exception>
    public ValueTask AckAsync(Frame message, CancellationToken cancellationToken = default) =>
        Acknowledge(StompCommands.Ack, message, null, cancellationToken);

    /// <summary>NACK of a message this client delivered, routed as <see cref="AckAsync"/>.</summary>
    public ValueTask NackAsync(Frame message, CancellationToken cancellationToken = default) =>
        Acknowledge(StompCommands.Nack, message, null, cancellationToken);

    /// <summary>Any command by name, as <c>-&gt;execute</c>: SEND, ACK, NACK, BEGIN, COMMIT, ABORT, UNSUBSCRIBE, DISCONNECT (SUBSCRIBE has <see cref="SubscribeAsync(CommandParams, CancellationToken)"/>).</summary>
    public ValueTask ExecuteAsync(string command, CommandParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Command(command.ToUpperInvariant(), parameters, cancellationToken);
    }

    /// <summary>
    /// SUBSCRIBE, completing when its RECEIPT arrives; read the messages with
    /// <c>await foreach</c>. An <c>id</c> is chosen when the call gives none.
    /// </summary>
    public async Task<AsyncSubscription> SubscribeAsync(CommandParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var own = parameters.Copy();
        var id = own["id"] ??= $"async-{Interlocked.Increment(ref _ids)}";
        if (_options.BrokerPrefetch && own["ack"] is "client" or "client-individual")
        {
            var prefetch = _options.MessageBufferSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            own["prefetch-count"] ??= prefetch;
            own["activemq.prefetchSize"] ??= prefetch;
        }

        var subscription = new AsyncSubscription(this, id, _options.MessageBufferSize, _bufferLimit);
        own.OnMessage = subscription.OnMessage;
        own.OnReceipt = null;
        own.OnNodeError = parameters.OnNodeError is { } onNodeError ? OffLoop(onNodeError) : null;
        await Bridge.RunAsync(() =>
        {
            _subscriptions.Add(subscription);

            // Its RECEIPT may be what the consumer of a full buffer waits for.
            subscription.AwaitConfirmation();
            try
            {
                Engine.Execute(StompCommands.Subscribe, own, subscription.OnReceipt);
            }
            catch
            {
                subscription.Confirmation();
                _subscriptions.Remove(subscription);
                throw;
            }
        }).ConfigureAwait(false);

        try
        {
            await subscription.Confirmed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Sent already: take it back rather than leave the broker delivering to nobody.
            _ = subscription.DisposeAsync().AsTask();
            throw;
        }

        return subscription;
    }

    /// <summary>
    /// SUBSCRIBE with a handler: each message is handed to <paramref name="handler"/> on the
    /// thread pool, one at a time, in order, with a token cancelled when the subscription
    /// ends. A handler that throws ends the subscription (UNSUBSCRIBE) and faults
    /// <see cref="AsyncSubscription.Completion"/> with its exception.
    /// </summary>
    public async Task<AsyncSubscription> SubscribeAsync(CommandParams parameters, Func<Frame, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = await SubscribeAsync(parameters, cancellationToken).ConfigureAwait(false);
        _ = Task.Run(() => subscription.Pump(handler), CancellationToken.None);
        return subscription;
    }

    /// <summary>
    /// BEGIN a transaction, completing when its RECEIPT arrives. Disposing the transaction
    /// without committing it aborts it, and so does disposing the client.
    /// </summary>
    public async Task<AsyncTransaction> BeginAsync(CancellationToken cancellationToken = default)
    {
        var transaction = new AsyncTransaction(this, $"tx-{Interlocked.Increment(ref _ids)}");
        await Command(StompCommands.Begin, s_empty, cancellationToken, transaction: transaction.Id, receipt: true).ConfigureAwait(false);
        _transactions[transaction] = true;
        return transaction;
    }

    /// <summary>
    /// Closes at once: open transactions are aborted (ABORT written, while the session is up), every subscription
    /// ends, commands still pending fail with <c>E_CONN_CLOSED_BY_CLIENT</c>, and the
    /// client's own loop thread stops. For a graceful close call
    /// <see cref="DisconnectAsync"/> first.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _closing = Close();
        }

        return new ValueTask(_closing!);
    }

    internal ValueTask Command(string name, CommandParams parameters, CancellationToken cancellationToken, Action<Frame?, StompError?>? after = null, string? transaction = null, bool receipt = false, Action? before = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return Rent().Start(name, parameters, cancellationToken, after, transaction, receipt, before);
    }

    /// <summary>A command while the client closes, which public calls no longer may issue.</summary>
    internal ValueTask CommandWhileClosing(string name, string transaction) =>
        Rent().Start(name, s_empty, CancellationToken.None, transaction: transaction);

    internal ValueTask Acknowledge(string name, Frame message, string? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return Rent().Start(name, message, cancellationToken, transaction);
    }

    /// <summary>UNSUBSCRIBE; the subscription stops holding reading back first, or the RECEIPT would wait behind its full buffer.</summary>
    internal ValueTask UnsubscribeAsync(AsyncSubscription subscription) =>
        Rent().Start(StompCommands.Unsubscribe, new CommandParams { ["id"] = subscription.Id }, CancellationToken.None, before: subscription.Leave);

    internal void Finished(AsyncTransaction transaction) => _transactions.TryRemove(transaction, out _);

    internal void Return(CommandOperation operation) => _spare.Enqueue(operation);

    /// <summary>A per-command <c>on_node_error</c> of the caller's, moved off the loop's thread.</summary>
    internal Action<StompError, string, int> OffLoop(Action<StompError, string, int> onNodeError) =>
        (error, host, port) => _callbacks.Raise(() => onNodeError(error, host, port));

    /// <summary>On the loop: a subscription's buffer is full; reading stops until every full one has drained to half, unless a reply is awaited.</summary>
    internal void Hold()
    {
        _holds++;
        PauseOrResume();
    }

    /// <summary>On the loop: a full buffer has grown to the limit while a reply was awaited; reading stops even so.</summary>
    internal void HoldAtLimit()
    {
        _holdsAtLimit++;
        PauseOrResume();
    }

    /// <summary>On the loop: one full buffer has drained to half.</summary>
    internal void Release()
    {
        _holds--;
        PauseOrResume();
    }

    /// <summary>On the loop: one buffer that had grown to the limit has drained to half.</summary>
    internal void ReleaseAtLimit()
    {
        _holdsAtLimit--;
        Release();
    }

    /// <summary>From a consumer's thread: <see cref="Release"/> (or <see cref="ReleaseAtLimit"/>) on the loop.</summary>
    internal void ReleaseFromConsumer(bool atLimit) => _ = Bridge.RunAsync(atLimit ? _releaseAtLimit : _release);

    /// <summary>
    /// On the loop: a command now waits for the broker's reply. Its RECEIPT comes behind the
    /// messages on the connection, and the consumer of a full buffer may be the one waiting
    /// for it: until it comes, a full buffer does not stop reading (up to its limit).
    /// </summary>
    internal void ReplyAwaited()
    {
        _awaitedReplies++;
        PauseOrResume();
    }

    /// <summary>On the loop: a reply came (or failed, or nobody waits for it any more); a full buffer stops reading again once none is awaited.</summary>
    internal void ReplyCame()
    {
        _awaitedReplies--;
        PauseOrResume();
    }

    /// <summary>From the thread of a cancelled wait: <see cref="ReplyCame"/> on the loop.</summary>
    internal void ReplyAbandoned() => _ = Bridge.RunAsync(_replyGone);

    /// <summary>On the loop: whether the broker answers <paramref name="name"/> with a RECEIPT, as the engine will write it.</summary>
    internal bool AwaitsReply(string name, CommandParams parameters) =>
        name is StompCommands.Subscribe or StompCommands.Unsubscribe or StompCommands.Disconnect
        || parameters["receipt"] is not null
        || _receiptForAll
        || (_receiptByDefault.Count > 0 && _receiptByDefault.Contains(name))
        || (name == StompCommands.Send && _options.Cluster?.SendJournal is not null);

    /// <summary>On the loop: reading stops while a full buffer waits and no reply is awaited, or while a buffer is at its limit.</summary>
    private void PauseOrResume()
    {
        var pause = _holdsAtLimit > 0 || (_holds > 0 && _awaitedReplies == 0);
        if (pause == _paused)
        {
            return;
        }

        _paused = pause;
        if (pause)
        {
            _pause();
        }
        else
        {
            _resume();
        }
    }

    /// <summary>
    /// On the loop: whether a SEND must wait for room in the cluster's send journal: while
    /// the journal is full, and while earlier SENDs wait, so that they keep their order.
    /// </summary>
    internal bool WaitsForRoom(CommandOperation operation, string name)
    {
        if (name != StompCommands.Send || _engine is not StomperCluster { JournalRoom: not null } cluster || ReferenceEquals(_admitted, operation))
        {
            return false;
        }

        if (_awaitingRoom.Count == 0 && cluster.JournalHasRoomFor(operation.Parameters))
        {
            return false;
        }

        _awaitingRoom.Enqueue(operation);
        cluster.JournalRoomWanted = true;
        return true;
    }

    /// <summary>On the loop, once the journal freed room: the waiting SENDs that fit now go, in order; those cancelled meanwhile let go.</summary>
    private void LetWaitingSendsIn(StomperCluster cluster)
    {
        while (_awaitingRoom.TryPeek(out var operation) && (operation.IsFinished || cluster.JournalHasRoomFor(operation.Parameters)))
        {
            _awaitingRoom.Dequeue();
            _admitted = operation;
            try
            {
                operation.Run();
            }
            finally
            {
                _admitted = null;
            }
        }

        cluster.JournalRoomWanted = _awaitingRoom.Count > 0;
    }

    /// <summary>On the loop, closing: the SENDs still waiting for room fail as the engine's pending commands do.</summary>
    private void AbandonWaitingSends()
    {
        while (_awaitingRoom.TryDequeue(out var operation))
        {
            operation.Abandon(new StompException(Errors.AsyncClientDisposed(StompCommands.Send)));
        }
    }

    /// <summary>On the loop: a subscription is over.</summary>
    internal void Forget(AsyncSubscription subscription) => _subscriptions.Remove(subscription);

    private CommandOperation Rent() => _spare.TryDequeue(out var spare) ? spare : new CommandOperation(this);

    private void BuildOrRemember()
    {
        try
        {
            Build();
        }
        catch (Exception e)
        {
            _buildFailure = e;
            throw;
        }
    }

    /// <summary>On the loop (or before it runs): the engine, with the callbacks of the options moved off the loop's thread.</summary>
    private void Build()
    {
        using var scope = Bridge.OwnsLoop ? AE.UseLoop(Bridge.Loop) : null;
        if (_options.Client is { } single)
        {
            var client = new StomperClient(single);
            var (host, port) = (client.Host, client.Port);
            client.OnConnect = () =>
            {
                _connecting = true;
                Raise(() =>
                {
                    single.OnConnect?.Invoke();
                    Connected?.Invoke();
                    NodeConnected?.Invoke(host, port);
                });
            };
            client.OnDisconnect = () =>
            {
                // A single server forgets its subscriptions with the connection; those lost
                // with an error have heard so already, the rest (DISCONNECT) end here.
                EndSubscriptions();
                Raise(() =>
                {
                    single.OnDisconnect?.Invoke();
                    Disconnected?.Invoke();
                    NodeDisconnected?.Invoke(host, port);
                });
            };
            client.OnError = error =>
            {
                ConnectionEnded(error);
                RaiseError(single.OnError, error, () => NodeError?.Invoke(error, host, port));
            };
            client.OnLogin = () => ConnectionEnded(null);
            _connecting = !single.Lazy;
            _engine = client;
            _pause = client.PauseReading;
            _resume = client.ResumeReading;
            _isConnected = () => client.IsConnected;
            return;
        }

        var clusterOptions = _options.Cluster!;
        var cluster = new StomperCluster(clusterOptions);
        cluster.OnNodeConnect = (host, port) => Raise(() =>
        {
            clusterOptions.OnNodeConnect?.Invoke(host, port);
            NodeConnected?.Invoke(host, port);
        });
        cluster.OnNodeDisconnect = (host, port) => Raise(() =>
        {
            clusterOptions.OnNodeDisconnect?.Invoke(host, port);
            NodeDisconnected?.Invoke(host, port);
        });
        cluster.OnNodeError = (error, host, port) => Raise(() =>
        {
            clusterOptions.OnNodeError?.Invoke(error, host, port);
            NodeError?.Invoke(error, host, port);
        });
        cluster.OnError = error => RaiseError(clusterOptions.OnError, error, null);
        if (clusterOptions.SendJournal is not null)
        {
            // A full journal makes a SEND wait here for room instead of failing.
            cluster.JournalRoom = () => LetWaitingSendsIn(cluster);
        }

        _engine = cluster;
        _pause = cluster.PauseReading;
        _resume = cluster.ResumeReading;
        _isConnected = () => cluster.ActiveNode.IsConnected;
    }

    private static StompNodeStatus NodeStatus(IStomperClient node, bool active) => new(node.Host, node.Port)
    {
        IsActive = active,
        IsConnected = node.IsConnected,
        IsReadingPaused = node is StomperClient { IsReadingPaused: true },
        Silence = (node as StomperClient)?.Silence,
        ReadTimeout = (node as StomperClient)?.ReadTimeout ?? TimeSpan.Zero,
    };

    /// <summary>On the loop: the login ended, well (null) or not; <see cref="ConnectAsync(CancellationToken)"/> hears of it.</summary>
    private void ConnectionEnded(StompError? error)
    {
        // An error of a session that was up is not a failed login.
        _loginFailure = _connecting ? error : null;
        _connecting = false;
        foreach (var waiter in _connectWaiters)
        {
            if (error is null)
            {
                waiter.TrySetResult();
            }
            else
            {
                waiter.TrySetException(new StompException(error));
            }
        }

        _connectWaiters.Clear();
    }

    /// <summary>On the loop, before a DISCONNECT: no subscription holds reading back any more, so its RECEIPT can be read.</summary>
    private void LeaveSubscriptions()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Leave();
        }
    }

    private void EndSubscriptions()
    {
        foreach (var subscription in _subscriptions.ToList())
        {
            subscription.End(null);
        }
    }

    private void Raise(Action call) => _callbacks.Raise(call);

    /// <summary><c>on_error</c> and <see cref="Error"/>; with neither, the original's default: the message on standard error.</summary>
    private void RaiseError(Action<StompError>? onError, StompError error, Action? also) => Raise(() =>
    {
        if (onError is null && Error is null)
        {
            Console.Error.WriteLine(error.Message);
        }

        onError?.Invoke(error);
        Error?.Invoke(error);
        also?.Invoke();
    });

    private void ReportUnhandled(Exception exception)
    {
        if (UnhandledException is { } handler)
        {
            try
            {
                handler(exception);
                return;
            }
            catch (Exception e)
            {
                exception = new AggregateException(exception, e);
            }
        }

        Console.Error.WriteLine(exception);
    }

    private async Task Close()
    {
        // Without a session there is nothing to abort (the broker dropped the transactions
        // with the connection), and an ABORT would only open a connection to send it.
        var aborting = IsConnected ? _transactions.Keys : [];
        foreach (var transaction in aborting)
        {
            // Not awaited: the ABORT's write confirmation never comes from a broker that has
            // stopped reading, and the close would wait for it for ever. What it answers once
            // the connection is closed, nobody waits for: the broker drops a transaction with
            // its connection anyway.
            _ = transaction.AbortOnClose();
        }

        try
        {
            if (aborting.Count > 0)
            {
                // One loop pass, for the ABORTs queued above to be flushed to the socket (a
                // corked handle writes at the end of the pass) before the connection closes.
                var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await Bridge.RunAsync(() => Bridge.Loop.Postpone(() => flushed.TrySetResult())).ConfigureAwait(false);
                await flushed.Task.ConfigureAwait(false);
            }

            await Bridge.CloseAsync(() =>
            {
                EndSubscriptions();
                foreach (var waiter in _connectWaiters)
                {
                    waiter.TrySetException(new ObjectDisposedException(nameof(AsyncStomperClient)));
                }

                _connectWaiters.Clear();
                AbandonWaitingSends();

                // ForceDisconnect first: it answers every pending command, which a single
                // client's Dispose would only warn about on standard error.
                try
                {
                    if (_engine is StomperClient client)
                    {
                        client.ForceDisconnect();
                        client.Dispose();
                    }
                    else if (_engine is StomperCluster cluster)
                    {
                        cluster.ForceDisconnect();
                        cluster.Dispose();
                    }
                }
                finally
                {
                    _holds = 0;
                    _holdsAtLimit = 0;
                    _paused = false;
                }
            }).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Your loop was disposed first, and the engine on it with it: nothing is left to close.
        }
    }
}
