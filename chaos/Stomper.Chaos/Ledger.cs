namespace Stomper.Chaos;

/// <summary>
/// One line per SEND issued, keyed by its message id (the body, 0, 1, 2, ...): when it was
/// issued, how often and how its callback was called, how often the application received
/// it, and whether it was still in the queue at the end.
/// </summary>
internal sealed class Ledger
{
    private readonly List<Entry> _entries = [];

    public int Issued => _entries.Count;

    /// <summary>SENDs whose callback has not been called yet.</summary>
    public int Unanswered { get; private set; }

    /// <summary>Deliveries of ids this run never issued: a sign the harness is wrong, not the client.</summary>
    public int Foreign { get; private set; }

    public int Receipted { get; private set; }

    /// <summary>Receipted SENDs not received by the application yet (drained ones aside).</summary>
    public int ReceiptedUnreceived { get; private set; }

    /// <summary>Takes the next id for a SEND about to be issued.</summary>
    public int Issue()
    {
        _entries.Add(new Entry { IssuedAt = ChaosClock.Now });
        Unanswered++;
        return _entries.Count - 1;
    }

    /// <summary>A SEND's callback: <paramref name="error"/> null when its RECEIPT came. False when it had been called before.</summary>
    public bool Answered(int id, StompError? error)
    {
        var entry = _entries[id];
        if (++entry.Callbacks > 1)
        {
            return false;
        }

        Unanswered--;
        entry.AnsweredAt = ChaosClock.Now;
        entry.Error = error;
        if (error is null)
        {
            Receipted++;
            ReceiptedUnreceived += entry.Deliveries == 0 ? 1 : 0;
        }

        return true;
    }

    /// <summary>A MESSAGE the application's callback got.</summary>
    public void Delivered(string body)
    {
        if (!int.TryParse(body, out var id) || id < 0 || id >= _entries.Count)
        {
            Foreign++;
            return;
        }

        var entry = _entries[id];
        if (entry.Deliveries++ == 0 && entry.Error is null && entry.Callbacks > 0)
        {
            ReceiptedUnreceived--;
        }
    }

    /// <summary>A message found in the queue by the closing drain.</summary>
    public void Drained(string body)
    {
        if (int.TryParse(body, out var id) && id >= 0 && id < _entries.Count)
        {
            _entries[id].Drained = true;
        }
        else
        {
            Foreign++;
        }
    }

    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>What the ledger knows of one SEND.</summary>
    internal sealed class Entry
    {
        public double IssuedAt { get; set; }

        public double AnsweredAt { get; set; }

        public int Callbacks { get; set; }

        /// <summary>The error of the first callback; null when it was a RECEIPT (or none came).</summary>
        public StompError? Error { get; set; }

        /// <summary>How often the application received it.</summary>
        public int Deliveries { get; set; }

        public bool Drained { get; set; }
    }
}
