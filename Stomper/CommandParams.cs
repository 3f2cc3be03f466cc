namespace Stomper;

/// <summary>
/// The parameters of one command, as Perl passes them to <c>$stomper-&gt;send(%params)</c>:
/// any STOMP header by name through the indexer, plus <see cref="Body"/>,
/// <see cref="OnReceipt"/>, <see cref="OnMessage"/> (SUBSCRIBE), <see cref="Message"/>
/// (ACK/NACK) and <see cref="OnNodeError"/> (cluster).
/// </summary>
/// <example>
/// <code>
/// client.Send(new() { ["destination"] = "/queue/foo", Body = "Hello, world!" });
/// </code>
/// </example>
/// <remarks>
/// A command takes the values set at its call, as Perl copies its arguments: one object
/// may be sent many times and changed in between. The client never changes it. The
/// bytes of <see cref="BodyBytes"/> are copied only when the frame cannot be written at
/// the call (while connecting); otherwise leave them unchanged until the command is
/// answered, since a cluster sends them again on the next node when one fails.
/// </remarks>
public sealed class CommandParams
{
    private string[] _pairs = [];
    private int _count;

    /// <summary>
    /// A header by name (case-sensitive, as STOMP's are): null when absent. Setting a
    /// name again replaces its value; setting null removes it.
    /// </summary>
    public string? this[string name]
    {
        get
        {
            var i = IndexOf(name);
            return i < 0 ? null : _pairs[i + 1];
        }

        set
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            var i = IndexOf(name);
            if (value is null)
            {
                if (i >= 0)
                {
                    Array.Copy(_pairs, i + 2, _pairs, i, (_count * 2) - i - 2);
                    _count--;
                    _pairs[_count * 2] = _pairs[(_count * 2) + 1] = null!;
                }

                return;
            }

            if (i >= 0)
            {
                _pairs[i + 1] = value;
                return;
            }

            if (_pairs.Length == _count * 2)
            {
                Array.Resize(ref _pairs, Math.Max(8, _pairs.Length * 2));
            }

            _pairs[_count * 2] = name;
            _pairs[(_count * 2) + 1] = value;
            _count++;
        }
    }

    /// <summary>How many headers are set.</summary>
    public int HeaderCount => _count;

    /// <summary>The body as text, sent as UTF-8 (Perl's <c>body =&gt; '...'</c>). Ignored when <see cref="BodyBytes"/> is set.</summary>
    public string? Body { get; set; }

    /// <summary>The body as bytes, byte-exact (NULs allowed: <c>content-length</c> is always sent).</summary>
    public ReadOnlyMemory<byte>? BodyBytes { get; set; }

    /// <summary>The command callback, <c>on_receipt =&gt; sub { my ($receipt, $err) = @_; }</c>.</summary>
    public Action<Frame?, StompError?>? OnReceipt { get; set; }

    /// <summary>SUBSCRIBE's <c>on_message =&gt; sub { my $msg = shift; }</c>.</summary>
    public Action<Frame>? OnMessage { get; set; }

    /// <summary>ACK/NACK's <c>message =&gt; $msg</c>: the MESSAGE frame to acknowledge.</summary>
    public Frame? Message { get; set; }

    /// <summary>The cluster's per-command <c>on_node_error =&gt; sub { my ($err, $host, $port) = @_; }</c>.</summary>
    public Action<StompError, string, int>? OnNodeError { get; set; }

    /// <summary>
    /// Beyond the original, SUBSCRIBE on a cluster: drop a MESSAGE whose <c>stomper-id</c>
    /// header (set by a cluster's send journal, or by the sender) equals one of the last
    /// <c>DeduplicationWindow</c> ids delivered on this subscription, across failovers and
    /// the broker's redeliveries; a dropped message in <c>client-individual</c> mode is
    /// acknowledged so that the broker forgets it. 0 (the default): every message is
    /// delivered, as in the original. A single-node <see cref="StomperClient"/> ignores it.
    /// </summary>
    public int DeduplicationWindow { get; set; }

    /// <summary>
    /// Beyond the original: how long this command waits for its RECEIPT, counted from the
    /// call, instead of <see cref="StomperOptions.ReceiptTimeout"/> (or the cluster's, on
    /// each node it is tried on). <see cref="TimeSpan.Zero"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/>: this command waits for ever; null: the
    /// client's option. Not a header: it is never written. A command that asks no receipt
    /// has nothing to wait for and ignores it. When it passes, the command fails with
    /// <see cref="ErrorCode.E_RECEIPT_TIMEDOUT"/> and the connection is given up.
    /// </summary>
    /// <remarks>A negative value other than <see cref="Timeout.InfiniteTimeSpan"/> is refused by the command with an <see cref="ArgumentException"/>.</remarks>
    public TimeSpan? ReceiptTimeout { get; set; }

    /// <summary>A copy with another message callback and no command callback: what the cluster hands a node.</summary>
    internal CommandParams CopyWithOnMessage(Action<Frame> onMessage)
    {
        var copy = Copy();
        copy.OnReceipt = null;
        copy.OnNodeError = null;
        copy.OnMessage = onMessage;
        return copy;
    }

    /// <summary>
    /// A copy of everything set now, the bytes of <see cref="BodyBytes"/> included: what a
    /// command keeps when it cannot be written at the call, as Perl's <c>my %params = @_</c>
    /// keeps the values of the call whatever the caller changes afterwards.
    /// </summary>
    internal CommandParams Snapshot()
    {
        var copy = Copy();
        if (BodyBytes is { } bytes)
        {
            copy.BodyBytes = bytes.ToArray();
        }

        return copy;
    }

    /// <summary>A copy of everything set now; the bytes of <see cref="BodyBytes"/> are shared, not copied.</summary>
    internal CommandParams Copy()
    {
        var copy = new CommandParams();
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>
    /// Makes this object hold what <paramref name="source"/> holds now, reusing its own
    /// storage, so that one kept for reuse copies a call without allocating. The bytes of
    /// <see cref="BodyBytes"/> are shared, not copied.
    /// </summary>
    internal void CopyFrom(CommandParams source)
    {
        if (_pairs.Length < source._count * 2)
        {
            _pairs = new string[source._pairs.Length];
        }

        Array.Copy(source._pairs, _pairs, source._count * 2);
        Array.Clear(_pairs, source._count * 2, Math.Max(0, (_count - source._count) * 2));
        _count = source._count;
        Body = source.Body;
        BodyBytes = source.BodyBytes;
        OnReceipt = source.OnReceipt;
        OnMessage = source.OnMessage;
        Message = source.Message;
        OnNodeError = source.OnNodeError;
        DeduplicationWindow = source.DeduplicationWindow;
        ReceiptTimeout = source.ReceiptTimeout;
    }

    /// <summary>Lets go of everything set, keeping the storage for the next <see cref="CopyFrom"/>.</summary>
    internal void Clear()
    {
        Array.Clear(_pairs, 0, _count * 2);
        _count = 0;
        Body = null;
        BodyBytes = null;
        OnReceipt = null;
        OnMessage = null;
        Message = null;
        OnNodeError = null;
        DeduplicationWindow = 0;
        ReceiptTimeout = null;
    }

    /// <summary>The header at a position, in the order set.</summary>
    internal (string Name, string Value) HeaderAt(int index) => (_pairs[index * 2], _pairs[(index * 2) + 1]);

    /// <summary>The body's length in bytes on the wire.</summary>
    internal int BodyLength => BodyBytes is { } bytes ? bytes.Length : Body is { } text ? System.Text.Encoding.UTF8.GetByteCount(text) : 0;

    internal bool HasBody => BodyBytes is not null || Body is not null;

    private int IndexOf(string name)
    {
        for (var i = 0; i < _count * 2; i += 2)
        {
            if (string.Equals(_pairs[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
