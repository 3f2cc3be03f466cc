using NUnit.Framework;
using Stomper.Tests.Client;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Review;

/// <summary>
/// A small seeded random walk over one client: commands (some issued from callbacks),
/// callbacks that throw, and a server that answers, refuses, or dies. After a final
/// force_disconnect every command must have been answered exactly once.
/// </summary>
[TestFixture]
public sealed class ClientRandomSequenceTests
{
    [Test]
    public void Every_command_is_answered_exactly_once_in_300_seeded_sequences()
    {
        Seeds.Each(300, Walk);
    }

    private static void Walk(int seed)
    {
        var random = new Random(seed);
        Action<int>? issue = null;
        var closing = false;
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            Lazy = true,
            OnError = _ => { if (random.Next(10) == 0) throw new UserBug(); },
            OnConnect = () => { if (!closing && random.Next(4) == 0) issue!(1); },
            OnDisconnect = () =>
            {
                if (!closing && random.Next(4) == 0)
                {
                    issue!(1);
                }

                if (random.Next(8) == 0)
                {
                    throw new UserBug();
                }
            },
        }));
        var answers = new Dictionary<int, int>();
        var log = new List<string>();
        var next = 0;
        var answered = new HashSet<string>();
        var transportsConnected = new HashSet<ScriptedTransport>();

        void Issue(int depth)
        {
            var n = next++;
            answers[n] = 0;
            Action<Frame?, StompError?> callback = (receipt, err) =>
            {
                answers[n]++;
                log.Add($"#{n} {(err is null ? "ok" : err.Message)}");
                if (!closing && depth < 2 && random.Next(6) == 0)
                {
                    Issue(depth + 1);
                }

                if (random.Next(8) == 0)
                {
                    throw new UserBug();
                }
            };
            var id = "s" + random.Next(2);
            switch (random.Next(5))
            {
                case 0:
                    log.Add($"#{n} SEND");
                    h.Client.Send(new() { ["destination"] = "/q" }, callback);
                    break;
                case 1:
                    log.Add($"#{n} SEND receipt");
                    h.Client.Send(new() { ["destination"] = "/q", ["receipt"] = "auto" }, callback);
                    break;
                case 2:
                    log.Add($"#{n} SUBSCRIBE {id}");
                    var first = true;
                    h.Client.Subscribe(new() { ["id"] = id, ["destination"] = "/q", OnReceipt = (r, e) =>
                    {
                        // A subscription may hear of its loss after its receipt: count the first answer only.
                        if (first)
                        {
                            first = false;
                            callback(r, e);
                        }
                    } }, _ => { });
                    break;
                case 3:
                    log.Add($"#{n} UNSUBSCRIBE {id}");
                    h.Client.Unsubscribe(new() { ["id"] = id }, callback);
                    break;
                default:
                    log.Add($"#{n} BEGIN");
                    h.Client.Begin(new() { ["transaction"] = "t" }, callback);
                    break;
            }
        }

        issue = Issue;

        void Safely(Action action)
        {
            try
            {
                action();
            }
            catch (UserBug)
            {
            }
        }

        for (var step = 0; step < 60; step++)
        {
            var t = h.Transports.Count > 0 ? h.Transports[^1] : null;
            switch (random.Next(10))
            {
                case 0 or 1 or 2:
                    Safely(() => Issue(0));
                    break;
                case 3 when t is not null && t.ConnectCompleted is not null && transportsConnected.Add(t):
                    log.Add("tcp up, CONNECTED");
                    Safely(() => t.ConnectCompleted!(null));
                    Safely(() => t.Arrive("CONNECTED\nversion:1.2\nsession:S\n\n\0"));
                    break;
                case 4 or 5 when t is not null && h.Client.IsConnected:
                    var awaiting = h.Sent(t).Select(f => f.Headers["receipt"]).Where(r => r is not null && !answered.Contains(t.GetHashCode() + r)).ToList();
                    if (awaiting.Count > 0)
                    {
                        var r = awaiting[random.Next(awaiting.Count)]!;
                        answered.Add(t.GetHashCode() + r);
                        var refuse = random.Next(4) == 0;
                        log.Add((refuse ? "ERROR for " : "RECEIPT ") + r);
                        Safely(() => t.Arrive(refuse ? $"ERROR\nreceipt-id:{r}\nmessage:no\n\n\0" : $"RECEIPT\nreceipt-id:{r}\n\n\0"));
                    }

                    break;
                case 6 when t is not null && random.Next(3) == 0:
                    log.Add("EOF");
                    Safely(t.ArriveEof);
                    break;
                case 7 when random.Next(3) == 0:
                    log.Add("force_disconnect");
                    Safely(h.Client.ForceDisconnect);
                    break;
                default:
                    Safely(() => h.Step());
                    break;
            }
        }

        log.Add("final force_disconnect");
        closing = true;
        Safely(h.Client.ForceDisconnect);
        for (var i = 0; i < 20; i++)
        {
            Safely(() => h.Step());
        }

        var wrong = answers.Where(a => a.Value != 1).Select(a => $"#{a.Key} answered {a.Value} times").ToList();
        Assert.That(wrong, Is.Empty, string.Join("\n", log));
    }

    private sealed class UserBug : Exception
    {
    }
}
