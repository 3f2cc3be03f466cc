using EventLoop;
using Moq;
using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.EventLoop;

[TestFixture]
public sealed class AeScopeTests
{
    [Test]
    public void Outside_any_scope_AE_uses_the_default_loop()
    {
        Assert.That(AE.CurrentLoop, Is.SameAs(Loop.Default));
    }

    [Test]
    public void AE_timers_made_inside_a_scope_run_on_the_scoped_loop_and_its_fake_clock()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        using var scope = AE.UseLoop(loop);
        var fired = 0;

        using var timer = AE.Timer(5, 0, () => fired++);
        clock.Advance(4.9);
        loop.RunPending();
        var before = fired;
        clock.Advance(0.1);
        loop.RunPending();

        Assert.That((before, fired), Is.EqualTo((0, 1)));
        Assert.That(AE.Now(), Is.EqualTo(loop.Now()));
    }

    [Test]
    public void Disposing_a_scope_gives_AE_back_the_loop_it_had_before()
    {
        using var outerLoop = new Loop(new FakeClock());
        using var innerLoop = new Loop(new FakeClock());
        using var outer = AE.UseLoop(outerLoop);

        var inner = AE.UseLoop(innerLoop);
        var during = AE.CurrentLoop;
        inner.Dispose();

        Assert.That(during, Is.SameAs(innerLoop));
        Assert.That(AE.CurrentLoop, Is.SameAs(outerLoop));
    }

    [Test]
    public void An_outer_scope_disposed_first_stays_in_force_until_the_inner_one_is_disposed_too()
    {
        using var outerLoop = new Loop(new FakeClock());
        using var innerLoop = new Loop(new FakeClock());
        var outer = AE.UseLoop(outerLoop);
        var inner = AE.UseLoop(innerLoop);

        outer.Dispose();
        var afterOuter = AE.CurrentLoop;
        inner.Dispose();
        var afterBoth = AE.CurrentLoop;
        inner.Dispose();

        Assert.That(afterOuter, Is.SameAs(innerLoop));
        Assert.That(afterBoth, Is.SameAs(Loop.Default));
        Assert.That(AE.CurrentLoop, Is.SameAs(Loop.Default));
    }

    [Test]
    public void Parallel_threads_each_see_only_the_loop_of_their_own_scope()
    {
        using var bothOpen = new Barrier(2);
        var seen = new Loop?[2];
        var own = new Loop?[2];
        var met = new bool[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            using var loop = new Loop(new FakeClock());
            using var scope = AE.UseLoop(loop);
            met[i] = bothOpen.SignalAndWait(TimeSpan.FromSeconds(10));
            seen[i] = AE.CurrentLoop;
            own[i] = loop;
            bothOpen.SignalAndWait(TimeSpan.FromSeconds(10));   // neither scope closes before both have looked
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.That(met, Is.EqualTo(new[] { true, true }), "the two scopes were never open at the same time");
        Assert.That(seen, Is.EqualTo(own));
        Assert.That(AE.CurrentLoop, Is.SameAs(Loop.Default));
    }

    [Test]
    public async Task A_scope_survives_an_await_in_the_flow_that_opened_it()
    {
        using var loop = new Loop(new FakeClock());
        using var scope = AE.UseLoop(loop);

        await Task.Yield();

        Assert.That(AE.CurrentLoop, Is.SameAs(loop));
    }

    [Test]
    public void A_client_built_without_a_loop_inside_a_scope_runs_on_the_scoped_loop()
    {
        using var loop = new Loop(new FakeClock());
        using var scope = AE.UseLoop(loop);
        Loop? handedToTransport = null;

        using var client = new StomperClient(new StomperOptions
        {
            Host = "stomp.test",
            Transport = l => { handedToTransport = l; return new Mock<ITransport>().Object; },
        });

        Assert.That(handedToTransport, Is.SameAs(loop));
    }

    [Test]
    public void A_cluster_built_without_a_loop_inside_a_scope_runs_on_the_scoped_loop()
    {
        using var loop = new Loop(new FakeClock());
        using var scope = AE.UseLoop(loop);

        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a.test", 61613)],
            Transport = _ => new Mock<ITransport>().Object,
        });

        Assert.That(cluster.Loop, Is.SameAs(loop));
    }

    [Test]
    public void Every_node_of_a_cluster_built_without_a_loop_is_handed_the_cluster_s_own_loop()
    {
        using var loop = new Loop(new FakeClock());
        using var scope = AE.UseLoop(loop);
        var handedToNodes = new List<Loop?>();

        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a.test", 61613), new("b.test", 61613)],
            NodeFactory = o =>
            {
                handedToNodes.Add(o.Loop);
                return new Mock<IStomperClient>().Object;
            },
        });

        Assert.That(handedToNodes, Has.Count.EqualTo(2).And.All.SameAs(cluster.Loop));
    }
}
