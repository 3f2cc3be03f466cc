using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>
/// Receipt timeouts against a seeded random run: commands with mixed deadlines (the
/// client's, shorter, longer, none), RECEIPTs in and out of turn, connects that come late
/// or never, time passing in uneven steps. Every command is answered exactly once, by its
/// RECEIPT or by a timeout, never both, and none is still waiting past its deadline.
/// </summary>
[TestFixture]
public sealed class ClientReceiptTimeoutModelTests
{
    private const double ClientTimeout = 2;
    private static readonly TimeSpan?[] s_timeouts =
        [null, null, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3.25), TimeSpan.Zero, Timeout.InfiniteTimeSpan];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void Every_command_is_answered_once_by_its_receipt_or_its_timeout_and_never_waits_past_its_deadline(int seed)
    {
        var random = new Random(seed);
        using var h = new ClientHarness(o => o.ConnectionWith(new() { OnError = _ => { }, ReceiptTimeout = TimeSpan.FromSeconds(ClientTimeout) }));
        var commands = new List<Command>();
        var logins = new HashSet<int>();
        var now = 0.0;

        void Login()
        {
            var index = h.Transports.Count - 1;
            if (logins.Add(index))
            {
                h.Connect();
                foreach (var queued in commands.Where(c => c.WrittenOn < 0 && c.Answers.Count == 0))
                {
                    queued.WrittenOn = index;
                }
            }
        }

        void Answer(Command command) => h.Transport.Arrive($"RECEIPT\nreceipt-id:c{command.Index}\n\n\0");

        bool Awaiting(Command c) => c.Receipted && c.Answers.Count == 0 && c.WrittenOn == h.Transports.Count - 1 && h.Client.IsConnected;

        for (var step = 0; step < 2000; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                {
                    var timeout = s_timeouts[random.Next(s_timeouts.Length)];
                    var command = new Command(commands.Count, now, Seconds(timeout), random.Next(5) > 0);
                    commands.Add(command);
                    var parameters = new CommandParams { ["destination"] = "/queue/a", ReceiptTimeout = timeout };
                    if (command.Receipted)
                    {
                        parameters["receipt"] = $"c{command.Index}";
                    }

                    h.Client.Send(parameters, (receipt, err) => command.Answers.Add((err, receipt, now)));
                    command.WrittenOn = h.Client.IsConnected ? h.Transports.Count - 1 : -1;
                    break;
                }

                case < 6:
                    var waiting = commands.Where(Awaiting).ToList();
                    if (waiting.Count > 0)
                    {
                        Answer(waiting[random.Next(waiting.Count)]);
                    }

                    break;
                case 6:
                    if (h.Transports.Count > 0 && h.Transport.ConnectCompleted is not null && random.Next(3) > 0)
                    {
                        Login();
                    }

                    break;
                default:
                    var dt = random.Next(13) * 0.05;
                    now += dt;
                    h.Step(dt);
                    break;
            }

            Check(commands, now);
        }

        // Let everything finish: log in, answer what waits, let the rest time out.
        for (var round = 0; round < 50 && commands.Any(c => c.Answers.Count == 0); round++)
        {
            if (h.Transports.Count > 0 && h.Transport.ConnectCompleted is not null)
            {
                Login();
            }

            foreach (var command in commands.Where(Awaiting).ToList())
            {
                Answer(command);
            }

            now += 1;
            h.Step(1);
            Check(commands, now);
        }

        Assert.That(commands.Where(c => c.Answers.Count != 1).Select(c => c.Index), Is.Empty, "commands not answered exactly once");
        Assert.That(commands.Count(c => c.Answers[0].Error?.Code == ErrorCode.E_RECEIPT_TIMEDOUT), Is.GreaterThan(0), "the run timed some out");
        Assert.That(commands.Count(c => c.Answers[0].Receipt is not null), Is.GreaterThan(0), "the run answered some");
    }

    private static double Seconds(TimeSpan? own) => own is not { } t ? ClientTimeout : t == Timeout.InfiniteTimeSpan ? 0 : t.TotalSeconds;

    /// <summary>The invariants, checked with plain comparisons: NUnit constraints on every command at every step would make the run slow.</summary>
    private static void Check(List<Command> commands, double now)
    {
        foreach (var c in commands)
        {
            if (c.Answers.Count > 1)
            {
                Assert.Fail($"command {c.Index} answered twice: {string.Join(" / ", c.Answers.Select(a => a.Error?.Message ?? "receipt"))}");
            }

            if (c.Answers.Count == 0)
            {
                if (c.Receipted && c.Timeout > 0 && now >= c.IssuedAt + c.Timeout + 1e-9)
                {
                    Assert.Fail($"command {c.Index} still waits at {now}, past its deadline {c.IssuedAt + c.Timeout}");
                }

                continue;
            }

            var (error, receipt, at) = c.Answers[0];
            if (error is not null && error.Message.StartsWith("Receipt timed out", StringComparison.Ordinal)
                && (!c.Receipted || c.Timeout == 0 || at < c.IssuedAt + c.Timeout - 1e-9))
            {
                Assert.Fail($"command {c.Index} timed out at {at}, issued at {c.IssuedAt} with {c.Timeout} s, receipted: {c.Receipted}");
            }

            if (receipt is not null && receipt.Headers["receipt-id"] != $"c{c.Index}")
            {
                Assert.Fail($"command {c.Index} answered by the RECEIPT {receipt.Headers["receipt-id"]}");
            }
        }
    }

    private sealed record Command(int Index, double IssuedAt, double Timeout, bool Receipted)
    {
        public int WrittenOn { get; set; } = -1;

        public List<(StompError? Error, Frame? Receipt, double At)> Answers { get; } = [];
    }
}
