namespace Stomper.Async;

/// <summary>
/// A transaction begun by <see cref="AsyncStomperClient.BeginAsync"/>: its SENDs, ACKs and
/// NACKs carry its <c>transaction</c> header. <see cref="CommitAsync"/> or
/// <see cref="AbortAsync"/> ends it; disposing it while still open aborts it.
/// </summary>
/// <example>
/// <code>
/// await using var tx = await client.BeginAsync();
/// await tx.SendAsync(new() { ["destination"] = "/queue/a", Body = "one" });
/// await tx.SendAsync(new() { ["destination"] = "/queue/a", Body = "two" });
/// await tx.CommitAsync();
/// </code>
/// </example>
public sealed class AsyncTransaction : IAsyncDisposable
{
    private const int Open = 0;
    private const int Ending = 1;

    private readonly AsyncStomperClient _client;
    private int _state;
    private string _ended = "open";

    internal AsyncTransaction(AsyncStomperClient client, string id)
    {
        _client = client;
        Id = id;
    }

    /// <summary>The <c>transaction</c> header's value.</summary>
    public string Id { get; }

    /// <summary>True until a COMMIT or ABORT has been issued.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == Open;

    /// <summary>SEND within the transaction; see <see cref="AsyncStomperClient.SendAsync(CommandParams, CancellationToken)"/>.</summary>
    public ValueTask SendAsync(CommandParams parameters, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        return _client.Command(StompCommands.Send, parameters, cancellationToken, transaction: Id);
    }

    /// <summary>ACK within the transaction.</summary>
    public ValueTask AckAsync(Frame message, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        return _client.Acknowledge(StompCommands.Ack, message, Id, cancellationToken);
    }

    /// <summary>NACK within the transaction.</summary>
    public ValueTask NackAsync(Frame message, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        return _client.Acknowledge(StompCommands.Nack, message, Id, cancellationToken);
    }

    /// <summary>COMMIT, completing when its RECEIPT arrives.</summary>
    /// <exception cref="InvalidOperationException">Already committed or aborted.</exception>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) => End(StompCommands.Commit, "committed", cancellationToken);

    /// <summary>ABORT, completing when its RECEIPT arrives.</summary>
    /// <exception cref="InvalidOperationException">Already committed or aborted.</exception>
    public ValueTask AbortAsync(CancellationToken cancellationToken = default) => End(StompCommands.Abort, "aborted", cancellationToken);

    /// <summary>Aborts the transaction unless it was committed or aborted; a connection already gone has dropped it anyway.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsOpen)
        {
            return;
        }

        try
        {
            await AbortAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StompException or ObjectDisposedException or InvalidOperationException)
        {
            // Closed, or ended meanwhile by another call: the broker forgets it either way.
        }
    }

    /// <summary>The client closes: ABORT written, unless ended already.</summary>
    internal ValueTask AbortOnClose()
    {
        if (Interlocked.CompareExchange(ref _state, Ending, Open) != Open)
        {
            return ValueTask.CompletedTask;
        }

        _ended = "aborted";
        _client.Finished(this);
        return _client.CommandWhileClosing(StompCommands.Abort, Id);
    }

    private ValueTask End(string command, string how, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Ending, Open) != Open)
        {
            throw Errors.TransactionFinished(Id, _ended);
        }

        _ended = how;
        _client.Finished(this);
        return _client.Command(command, new CommandParams(), cancellationToken, transaction: Id, receipt: true);
    }

    private void ThrowIfEnded()
    {
        if (!IsOpen)
        {
            throw Errors.TransactionFinished(Id, _ended);
        }
    }
}
