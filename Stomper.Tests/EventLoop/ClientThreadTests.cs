using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Client;

namespace Stomper.Tests.EventLoop;

/// <summary>The clients are used on their loop's thread only; from elsewhere they say so instead of corrupting.</summary>
[TestFixture]
public sealed class ClientThreadTests
{
    private const int Messages = 20_000;

    [Test]
    public void A_thread_sending_beside_the_loop_gets_an_exception_and_the_loops_20000_frames_arrive_intact()
    {
        using var harness = new ClientHarness();
        harness.Connect();
        harness.Step();
        var client = harness.Client;

        var foreignErrors = new List<Exception>();
        var foreignSent = 0;
        var stop = false;
        using var attempted = new ManualResetEventSlim();
        var foreign = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    client.Send(new CommandParams { ["destination"] = "/queue/foreign", Body = "foreign" });
                    foreignSent++;
                }
                catch (Exception e)
                {
                    // Whatever it is: before the thread check, the write path threw
                    // ArgumentNullException or ArgumentException here at random.
                    foreignErrors.Add(e);
                }

                attempted.Set();
            }
        });
        foreign.Start();
        Assert.That(attempted.Wait(TimeSpan.FromSeconds(5)), "the other thread never tried to send");

        for (var i = 0; i < Messages; i++)
        {
            client.Send(new CommandParams { ["destination"] = "/queue/loop", Body = $"message {i}" });
            if (i % 100 == 99)
            {
                harness.Step();
            }
        }

        harness.Step();
        Volatile.Write(ref stop, true);
        foreign.Join();

        Assert.That(foreignSent, Is.Zero);
        Assert.That(foreignErrors, Is.Not.Empty.And.All.InstanceOf<InvalidOperationException>());
        Assert.That(foreignErrors[0].Message, Does.StartWith("Execute was called on thread ").And.Contain("Loop.Post"));
        var sends = harness.Sent().Where(f => f.Command == StompCommands.Send).ToList();
        Assert.That(sends, Has.Count.EqualTo(Messages));
        for (var i = 0; i < Messages; i++)
        {
            Assert.That(sends[i].Headers["destination"], Is.EqualTo("/queue/loop"));
            Assert.That(sends[i].Body, Is.EqualTo($"message {i}"));
        }
    }

    [Test]
    public void Force_disconnect_dispose_and_setters_of_a_client_refuse_a_foreign_thread()
    {
        using var harness = new ClientHarness();
        harness.Step();
        var client = harness.Client;

        foreach (var (member, call) in new (string, Action)[]
        {
            ("ForceDisconnect", client.ForceDisconnect),
            ("Dispose", client.Dispose),
            ("ConnectionTimeout", () => client.ConnectionTimeout = 1),
            ("ReconnectInterval", () => client.ReconnectInterval = 1),
            ("OnError", () => client.OnError = null),
        })
        {
            Assert.That(LoopOwnershipTests.OnOtherThread(call), Is.InstanceOf<InvalidOperationException>(), member);
        }
    }

    [Test]
    public void A_cluster_refuses_commands_from_a_foreign_thread_once_its_loop_has_run()
    {
        using var loop = new Loop(new FakeClock());
        using var cluster = new StomperCluster(new ClusterOptions { Nodes = [new ClusterNode("a.test", 61613)], Loop = loop });
        loop.RunOnce(block: false);

        var error = LoopOwnershipTests.OnOtherThread(() => cluster.Send(new CommandParams { ["destination"] = "/queue/x" }));

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.StartWith("Execute was called on thread "));
        Assert.That(LoopOwnershipTests.OnOtherThread(cluster.ForceDisconnect), Is.InstanceOf<InvalidOperationException>());
    }
}
