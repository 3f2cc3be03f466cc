using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.Journal;

/// <summary>
/// The deduplication window checked step by step against a trivial model of what
/// docs/cluster.md ("Duplicates removed") and the window's first implementation promise:
/// an id is a repeat while it is among the last <c>window</c> ids let through; a repeat
/// changes nothing (it refreshes no position); a forgotten (NACKed) id is new again and
/// its place still counts toward the window. Seeded: a failure names its seed; set
/// DEDUP_SEED to replay one sequence. Ids that share a hash are found by a birthday search
/// in this process (the hash is randomised per process), so a failure also prints the ids.
/// </summary>
[TestFixture]
public sealed class DuplicateFilterModelTests
{
    private const int SmallSequences = 4000;
    private const int SmallSteps = 300;
    private const int LargeSequences = 40;
    private const int LargeSteps = 7000;

    private static readonly int[] s_smallWindows = [1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33];
    private static readonly int[] s_largeWindows = [1023, 1024, 1025, 1500, 2047, 2049, 3000, int.MaxValue];

    private static readonly Lazy<IReadOnlyList<(string First, string Second)>> s_collisions = new(FindCollisions);

    [Test]
    public void Random_sequences_of_ids_in_small_windows_get_the_answers_of_a_queue_of_the_last_ids()
    {
        foreach (var seed in Seeds(1, SmallSequences))
        {
            var random = new Random(seed);
            var window = random.Next(3) == 0 ? random.Next(1, 65) : s_smallWindows[random.Next(s_smallWindows.Length)];
            Run(seed, window, SmallSteps, random);
        }
    }

    [Test]
    public void Random_sequences_of_ids_in_windows_around_the_first_ring_size_get_the_answers_of_a_queue_of_the_last_ids()
    {
        foreach (var seed in Seeds(100_001, LargeSequences))
        {
            var random = new Random(seed);
            Run(seed, s_largeWindows[seed % s_largeWindows.Length], LargeSteps, random);
        }
    }

    [Test]
    public void Ids_that_share_a_hash_are_never_taken_for_each_other_whether_inline_long_or_not_ASCII()
    {
        var pairs = s_collisions.Value;
        Assert.That(pairs, Has.Count.GreaterThanOrEqualTo(10), "the birthday search finds pairs of ids with one hash");
        Assert.That(pairs.Select(p => (Kind(p.First), Kind(p.Second))).Distinct().Count(), Is.GreaterThanOrEqualTo(3), "pairs of several kinds (inline, long, not ASCII)");

        foreach (var window in new[] { 1, 2, 3, 1025 })
        {
            foreach (var (first, second) in pairs)
            {
                var filter = new DuplicateFilter(window);
                var pair = $"window {window}, \"{first}\" and \"{second}\" (one hash)";
                Assert.That((filter.FirstTime(first), filter.FirstTime(second)), Is.EqualTo((true, true)), pair);
                Assert.That(filter.FirstTime(second), Is.False, pair);
                Assert.That(filter.FirstTime(first), Is.EqualTo(window == 1), pair + ": the first is a repeat while the window holds it");
                filter.Forget(second);
                Assert.That(filter.FirstTime(first), Is.False, pair + ": forgetting one leaves the other");
                Assert.That(filter.FirstTime(second), Is.True, pair + ": the forgotten one is new again");
            }
        }
    }

    [Test]
    public void A_long_id_is_let_go_once_it_leaves_the_window_and_the_string_of_a_repeat_or_a_forget_is_never_held()
    {
        var filter = new DuplicateFilter(4);
        var evicted = Offer(filter, "evicted-");
        var repeat = Repeat(filter, "evicted-");
        var forgotten = Forget(filter, "never-seen-");
        for (var i = 0; i < 4; i++)
        {
            filter.FirstTime(new string('z', 40) + i.ToString(CultureInfo.InvariantCulture));
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.That(evicted.IsAlive, Is.False, "the evicted id's string");
        Assert.That(repeat.IsAlive, Is.False, "the repeat's string");
        Assert.That(forgotten.IsAlive, Is.False, "the forgotten id's string");
        Assert.That(filter.Count, Is.EqualTo(4));
    }

    [Test]
    public void A_full_window_larger_than_its_first_ring_allocates_nothing_for_ids_of_any_kind_their_repeats_or_forgets()
    {
        const int window = 5000;
        var filter = new DuplicateFilter(window);
        var random = new Random(7);
        var pool = new List<string>();
        var fresh = 0;
        for (var i = 0; i < 4 * window; i++)
        {
            AddTo(pool, random, ref fresh);
        }

        var ids = pool.ToArray();
        for (var i = 0; i < 2 * window; i++)
        {
            filter.FirstTime(ids[i]);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 2 * window; i < ids.Length; i++)
        {
            filter.FirstTime(ids[i]);
            filter.FirstTime(ids[i - random.Next(1, 2 * window)]);
            if (i % 10 == 0)
            {
                filter.Forget(ids[i - random.Next(1, 2 * window)]);
            }
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(filter.Count, Is.LessThanOrEqualTo(window));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_full_window_holds_the_documented_70_bytes_an_id_or_80_with_long_ids_besides_their_own_strings(bool someLong)
    {
        const int window = 100_000;
        var ids = Enumerable.Range(0, window).Select(i => (someLong && i % 10 == 0 ? new string('L', 40) : "id-") + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var filter = new DuplicateFilter(window);
        foreach (var id in ids)
        {
            filter.FirstTime(id);
        }

        var perId = (double)(GC.GetTotalMemory(forceFullCollection: true) - before) / window;
        GC.KeepAlive(ids);
        Assert.That(filter.Count, Is.EqualTo(window));
        TestContext.Out.WriteLine($"{perId:F1} bytes an id");
        Assert.That(perId, Is.LessThanOrEqualTo(someLong ? 80 : 75), $"{perId:F1} bytes an id");
    }

    private static IEnumerable<int> Seeds(int first, int count) =>
        Environment.GetEnvironmentVariable("DEDUP_SEED") is { } one ? [int.Parse(one, CultureInfo.InvariantCulture)] : Enumerable.Range(first, count);

    private static void Run(int seed, int window, int steps, Random random)
    {
        var filter = new DuplicateFilter(window);
        var model = new LastIds(window);
        var pool = new List<string>();
        var trace = new Queue<string>();
        var fresh = 0;
        var poolSize = random.Next(4) switch
        {
            0 => random.Next(1, 4),
            1 => Math.Max(1, Math.Min(window, 5000) / 2),
            2 => Math.Min(window, 5000) + 2,
            _ => Math.Min(window, 5000) * 3,
        };
        for (var i = 0; i < poolSize; i++)
        {
            AddTo(pool, random, ref fresh);
        }

        for (var step = 0; step < steps; step++)
        {
            string id;
            var forget = false;
            switch (random.Next(100))
            {
                case < 55:
                    id = pool[random.Next(pool.Count)];
                    break;
                case < 70 when model.AtDistance(window + random.Next(-1, 2)) is { } atEdge:
                    // A repeat at the window's edge: just inside, just at, just past.
                    id = atEdge;
                    break;
                case < 85:
                    id = AddTo(pool, random, ref fresh);
                    break;
                case < 90:
                    id = Variant(pool[random.Next(pool.Count)], random);
                    break;
                case < 97:
                    id = random.Next(2) == 0 ? pool[random.Next(pool.Count)] : model.AtDistance(1 + random.Next(Math.Min(window, 8))) ?? string.Empty;
                    forget = true;
                    break;
                default:
                    id = "never-" + random.Next(1000).ToString(CultureInfo.InvariantCulture);
                    forget = true;
                    break;
            }

            // A copy, so that nothing is found by reference.
            id = new string(id.AsSpan());
            trace.Enqueue($"{(forget ? "Forget" : "FirstTime")}({Show(id)})");
            if (trace.Count > 24)
            {
                trace.Dequeue();
            }

            string Where() => $"seed {seed} (DEDUP_SEED={seed}), window {window}, step {step}; last steps:\n  {string.Join("\n  ", trace)}";
            if (forget)
            {
                filter.Forget(id);
                model.Forget(id);
            }
            else
            {
                var expected = model.FirstTime(id);
                var actual = filter.FirstTime(id);
                if (actual != expected)
                {
                    Assert.Fail($"FirstTime said {actual}, the model {expected}: {Where()}");
                }
            }

            if (filter.Count != model.Count)
            {
                Assert.Fail($"the filter holds {filter.Count} ids, the model {model.Count}: {Where()}");
            }
        }
    }

    /// <summary>A new id of a random kind, added to the pool (a colliding pair adds both).</summary>
    private static string AddTo(List<string> pool, Random random, ref int fresh)
    {
        var n = (fresh++).ToString(CultureInfo.InvariantCulture);
        string id;
        switch (random.Next(16))
        {
            case < 5:
                id = Ascii(random, random.Next(1, 12)) + n;
                break;
            case 5:
                id = Ascii(random, 32 - n.Length) + n;
                break;
            case 6:
                id = Ascii(random, 33 - n.Length) + n;
                break;
            case 7:
                id = Ascii(random, random.Next(33, 90)) + n;
                break;
            case 8:
                id = NonAscii(random, random.Next(1, 12)) + n;
                break;
            case 9:
                id = NonAscii(random, random.Next(30, 50)) + n;
                break;
            case 10:
                id = string.Empty;
                break;
            case 11 when pool.Count > 0:
                id = Variant(pool[random.Next(pool.Count)], random);
                break;
            case < 14 when s_collisions.Value.Count > 0:
                var (first, second) = s_collisions.Value[random.Next(s_collisions.Value.Count)];
                pool.Add(first);
                id = second;
                break;
            default:
                id = "id-" + n;
                break;
        }

        pool.Add(id);
        return id;
    }

    /// <summary>An id one char off <paramref name="id"/>: its last char, or its case.</summary>
    private static string Variant(string id, Random random)
    {
        if (id.Length == 0)
        {
            return "\0";
        }

        var chars = id.ToCharArray();
        if (random.Next(2) == 0)
        {
            chars[^1] = (char)(chars[^1] ^ 1);
        }
        else
        {
            var i = random.Next(chars.Length);
            chars[i] = char.IsUpper(chars[i]) ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            chars[i] = chars[i] == id[i] ? (char)(chars[i] ^ 0x20) : chars[i];
        }

        return new string(chars);
    }

    private static string Ascii(Random random, int length)
    {
        var chars = new char[Math.Max(length, 0)];
        for (var i = 0; i < chars.Length; i++)
        {
            // Mostly letters that differ only in case, and now and then a control char or DEL.
            chars[i] = random.Next(20) == 0 ? (char)random.Next(0, 128) : "aAbB-"[random.Next(5)];
        }

        return new string(chars);
    }

    private static string NonAscii(Random random, int length)
    {
        var text = new StringBuilder(Ascii(random, length - 1));
        string[] odd = ["é", "\u0080", "\u00ff", "\u0100", "\U0001F600", "\uD800", "\uFFFF"];
        text.Insert(random.Next(text.Length + 1), odd[random.Next(odd.Length)]);
        return text.ToString();
    }

    private static string Kind(string id) =>
        id.Length > 32 ? "long" : System.Text.Ascii.IsValid(id) ? "inline" : "not ASCII";

    private static string Show(string id) =>
        "\"" + string.Concat(id.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    /// <summary>
    /// Pairs of different ids with the hash the window keeps, by a birthday search over
    /// inline, long and non-ASCII ids at once (about 50 pairs from 700,000 ids).
    /// </summary>
    private static IReadOnlyList<(string First, string Second)> FindCollisions()
    {
        var byHash = new Dictionary<int, string>(700_000);
        var pairs = new List<(string, string)>();
        var longPrefix = new string('L', 34);
        for (var i = 0; i < 700_000; i++)
        {
            var n = (i / 3).ToString(CultureInfo.InvariantCulture);
            var id = (i % 3) switch { 0 => "c" + n, 1 => longPrefix + n, _ => "é" + n };
            var hash = string.GetHashCode(id.AsSpan(), StringComparison.Ordinal);
            if (!byHash.TryAdd(hash, id))
            {
                pairs.Add((byHash[hash], id));
            }
        }

        return pairs;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Offer(DuplicateFilter filter, string prefix)
    {
        var id = prefix + new string('x', 40);
        Assert.That(filter.FirstTime(id), Is.True);
        return new WeakReference(id);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Repeat(DuplicateFilter filter, string prefix)
    {
        var id = prefix + new string('x', 40);
        Assert.That(filter.FirstTime(id), Is.False);
        return new WeakReference(id);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Forget(DuplicateFilter filter, string prefix)
    {
        var id = prefix + new string('x', 40);
        filter.Forget(id);
        return new WeakReference(id);
    }

    /// <summary>
    /// The reference: every id let through, in order, with a forgotten one's place kept
    /// empty; an id is held while it is among the last <c>window</c> places.
    /// </summary>
    private sealed class LastIds(int window)
    {
        private readonly List<string?> _order = [];
        private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);

        public int Count => _held.Count;

        public bool FirstTime(string id)
        {
            if (_held.ContainsKey(id))
            {
                return false;
            }

            _order.Add(id);
            _held[id] = _order.Count - 1;
            var leaving = _order.Count - 1 - window;
            if (leaving >= 0 && _order[leaving] is { } old)
            {
                _held.Remove(old);
            }

            return true;
        }

        public void Forget(string id)
        {
            if (_held.Remove(id, out var place))
            {
                _order[place] = null;
            }
        }

        /// <summary>The id let through <paramref name="distance"/> places ago (1: the last), if any and not forgotten.</summary>
        public string? AtDistance(int distance) =>
            distance >= 1 && distance <= _order.Count ? _order[^distance] : null;
    }
}
