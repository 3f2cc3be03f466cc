using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Async;

/// <summary>The async client's commands against the fake broker: completion, errors, transactions, disposal.</summary>
[TestFixture]
public sealed class AsyncClientCommandTests : AsyncFixture
{
    [Test]
    public async Task SendAsync_without_a_receipt_completes_once_the_frame_is_written()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        await client.ConnectAsync();

        await client.SendAsync("/queue/a", "hello").AsTask().WaitAsync(AsyncHarness.Timeout);

        var sent = broker.WaitForFrame("SEND");
        Assert.That(sent.Frame.Body, Is.EqualTo("hello"));
        Assert.That(sent["receipt"], Is.Null);
    }

    [Test]
    public async Task SendAsync_with_a_receipt_completes_only_when_the_RECEIPT_arrives()
    {
        var broker = H.Broker().HoldReceipts();
        var client = H.Client(broker);
        await client.ConnectAsync();

        var send = client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask();
        broker.WaitFor(b => b.HeldReceipts.Count == 1, "the receipt held");
        await Task.Delay(50);
        Assert.That(send.IsCompleted, Is.False);

        broker.ReleaseReceipts();
        await send.WaitAsync(AsyncHarness.Timeout);
    }

    [Test]
    public async Task A_refused_SEND_faults_with_a_StompException_carrying_code_message_and_ERROR_frame()
    {
        var broker = H.Broker(new FakeBrokerOptions { CloseAfterError = false }).ErrorOn("SEND", "/queue/bad", "no such queue");
        var client = H.Client(broker);

        var error = Assert.ThrowsAsync<StompException>(async () =>
            await client.SendAsync(new() { ["destination"] = "/queue/bad", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout));

        Assert.That(error!.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Message, Is.EqualTo("no such queue"));
        Assert.That(error.Error.Frame?.Command, Is.EqualTo("ERROR"));
    }

    [Test]
    public async Task ConnectAsync_fails_with_the_connection_error_when_the_server_refuses()
    {
        var broker = H.Broker().SetAcceptMode(AcceptMode.Refuse);
        var client = H.Client(broker);

        var error = Assert.ThrowsAsync<StompException>(async () => await client.ConnectAsync().WaitAsync(AsyncHarness.Timeout));

        Assert.That(error!.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to {broker.Host}:{broker.Port}:"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task A_thousand_tasks_sending_at_once_from_the_thread_pool_all_get_their_receipts()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        await client.ConnectAsync();

        var sends = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
            await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = $"m{i}" }))).ToArray();
        await Task.WhenAll(sends).WaitAsync(AsyncHarness.Timeout);

        var bodies = broker.ReceivedBy("SEND").Select(f => f.Frame.Body).ToHashSet();
        Assert.That(bodies, Has.Count.EqualTo(1000));
        Assert.That(broker.FramesSent("RECEIPT"), Is.EqualTo(1000));
    }

    [Test]
    public async Task Disposing_the_client_fails_commands_still_pending_with_E_CONN_CLOSED_BY_CLIENT()
    {
        var broker = H.Broker().HoldReceipts();
        var client = H.Client(broker);
        await client.ConnectAsync();
        var send = client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask();
        broker.WaitFor(b => b.HeldReceipts.Count == 1, "the receipt held");

        await client.DisposeAsync();

        var error = Assert.ThrowsAsync<StompException>(async () => await send.WaitAsync(AsyncHarness.Timeout));
        Assert.That(error!.Code, Is.EqualTo(E_CONN_CLOSED_BY_CLIENT));
        Assert.Throws<ObjectDisposedException>(() => client.SendAsync("/queue/a", "late"));
    }

    [Test]
    public async Task A_transaction_commits_its_sends_and_cannot_end_twice()
    {
        var broker = H.Broker();
        var client = H.Client(broker);

        await using var tx = await client.BeginAsync().WaitAsync(AsyncHarness.Timeout);
        await tx.SendAsync(new() { ["destination"] = "/queue/a", Body = "one" });
        await tx.CommitAsync().AsTask().WaitAsync(AsyncHarness.Timeout);

        Assert.That(broker.ReceivedBy("BEGIN").Single()["transaction"], Is.EqualTo(tx.Id));
        Assert.That(broker.ReceivedBy("SEND").Single()["transaction"], Is.EqualTo(tx.Id));
        Assert.That(broker.ReceivedBy("COMMIT").Single()["transaction"], Is.EqualTo(tx.Id));
        var again = Assert.Throws<InvalidOperationException>(() => tx.AbortAsync());
        Assert.That(again!.Message, Is.EqualTo($"Transaction \"{tx.Id}\" is already committed"));
    }

    [Test]
    public async Task Disposing_an_open_transaction_aborts_it()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        string id;
        await using (var tx = await client.BeginAsync().WaitAsync(AsyncHarness.Timeout))
        {
            id = tx.Id;
            await tx.SendAsync(new() { ["destination"] = "/queue/a", Body = "one" });
        }

        Assert.That(broker.WaitForFrame("ABORT")["transaction"], Is.EqualTo(id));
    }

    [Test]
    public async Task Disposing_the_client_aborts_its_open_transactions()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var tx = await client.BeginAsync().WaitAsync(AsyncHarness.Timeout);

        await client.DisposeAsync();

        Assert.That(broker.WaitForFrame("ABORT")["transaction"], Is.EqualTo(tx.Id));
        Assert.That(tx.IsOpen, Is.False);
    }

    [Test]
    public async Task DisconnectAsync_sends_DISCONNECT_with_a_receipt_and_the_next_command_connects_again()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        await client.ConnectAsync();

        await client.DisconnectAsync().AsTask().WaitAsync(AsyncHarness.Timeout);
        Assert.That(broker.WaitForFrame("DISCONNECT")["receipt"], Is.Not.Null);

        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);
        Assert.That(broker.ConnectionsAccepted, Is.EqualTo(2));
    }

    [Test]
    public void Options_naming_neither_or_both_engines_are_refused()
    {
        var neither = Assert.Throws<ArgumentException>(() => _ = new AsyncStomperClient(new AsyncStomperOptions()));
        Assert.That(neither!.Message, Does.StartWith("Set exactly one of Client"));
        var buffer = Assert.Throws<ArgumentException>(() => _ = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Lazy = true }, MessageBufferSize = 0 }));
        Assert.That(buffer!.Message, Is.EqualTo("\"MessageBufferSize\" must be a positive integer"));
    }

    [Test]
    public async Task An_option_the_engine_refuses_is_thrown_by_the_constructor_with_the_original_text()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Heartbeat = [1] } }));
        Assert.That(error!.Message, Is.EqualTo("\"heartbeat\" must be specified as array reference"));
        await Task.CompletedTask;
    }
}
