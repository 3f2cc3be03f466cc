using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>StomperOptions.OnBeforeConnect (beyond the original): fresh credentials and headers on every login.</summary>
[TestFixture]
public sealed class ClientBeforeConnectTests
{
    private static ClientHarness Harness(Action<ConnectHeaders> hook, string? login = "guest") => new(o => o.ConnectionWith(new()
    {
        Login = login,
        Passcode = "secret",
        Vhost = "/",
        OnBeforeConnect = hook,
        OnError = o.OnError,
        OnConnect = o.OnConnect,
        OnDisconnect = o.OnDisconnect,
    }));

    [Test]
    public void OnBeforeConnect_changes_the_login_passcode_host_and_extra_headers_of_the_CONNECT_on_the_wire()
    {
        using var h = Harness(c =>
        {
            c.Login = "svc";
            c.Passcode = "token-1";
            c.Vhost = "prod";
            c.Extra["x-client"] = "stomper";
        });

        h.Transport.ConnectCompleted!(null);

        var connect = h.Sent().Single();
        Assert.That(connect.Command, Is.EqualTo("CONNECT"));
        Assert.That(connect.Headers.Select(kv => kv.Key), Is.EqualTo(new[] { "accept-version", "heart-beat", "login", "passcode", "host", "x-client", "content-length" }));
        Assert.That((connect.Headers["login"], connect.Headers["passcode"], connect.Headers["host"], connect.Headers["x-client"]),
            Is.EqualTo(("svc", "token-1", "prod", "stomper")));
    }

    [Test]
    public void OnBeforeConnect_runs_before_every_login_starting_from_the_options_values()
    {
        var seen = new List<string>();
        var token = 0;
        using var h = Harness(c =>
        {
            seen.Add($"{c.Host}:{c.Port} {c.Login} {c.Passcode} extra={c.Extra.Count}");
            c.Passcode = $"token-{++token}";
            c.Extra["x-n"] = token.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        h.Connect();
        h.Client.ForceDisconnect();

        h.Client.Send(new() { ["destination"] = "/queue/a" });
        h.Transport.ConnectCompleted!(null);

        Assert.That(seen, Is.EqualTo(new[] { "stomp.test:61613 guest secret extra=0", "stomp.test:61613 guest secret extra=0" }));
        Assert.That(h.Sent()[0].Headers["passcode"], Is.EqualTo("token-2"), "the second login carries the second token");
    }

    [Test]
    public void An_OnBeforeConnect_that_throws_fails_the_login_with_E_CANT_CONN_and_aborts_what_waited()
    {
        using var h = Harness(_ => throw new InvalidOperationException("vault unreachable"));
        StompError? sendError = null;
        h.Client.Send(new() { ["destination"] = "/queue/a" }, (_, err) => sendError = err);

        Assert.That(() => h.Transport.ConnectCompleted!(null), Throws.Nothing, "the hook's exception does not leave the loop");

        const string reason = "Can't connect to stomp.test:61613: OnBeforeConnect threw InvalidOperationException: vault unreachable";
        Assert.That(sendError?.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(sendError?.Message, Is.EqualTo($"Operation \"SEND\" aborted: {reason}"));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: " + reason, "on_disconnect" }));
        Assert.That(h.Sent(), Is.Empty, "no CONNECT was written");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void An_OnBeforeConnect_that_disposes_or_force_disconnects_the_client_writes_no_CONNECT_and_nothing_throws(bool dispose)
    {
        ClientHarness? harness = null;
        using var h = harness = Harness(_ =>
        {
            if (dispose)
            {
                harness!.Client.Dispose();
            }
            else
            {
                harness!.Client.ForceDisconnect();
            }
        });
        var answers = new List<string>();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, (_, err) => answers.Add(err?.Message ?? "ok"));

        Assert.That(() => h.Transport.ConnectCompleted!(null), Throws.Nothing);
        h.Loop.RunPending();

        Assert.That(h.Sent(), Is.Empty);
        Assert.That(answers, Is.EqualTo(dispose ? Array.Empty<string>() : ["Operation \"SEND\" aborted: Connection closed by client prematurely."]));
    }

    [TestCase("login", "with a line break, which CONNECT frames cannot escape")]
    [TestCase("heart-beat", "as an extra header: the client writes it itself (set Login, Passcode or Vhost instead)")]
    [TestCase("x:y", "with a colon in its name, which CONNECT frames cannot escape")]
    [TestCase("", "with an empty name")]
    [TestCase("x-value", "with a line break, which CONNECT frames cannot escape")]
    public void A_header_from_OnBeforeConnect_that_CONNECT_cannot_carry_fails_the_login_with_the_reason(string header, string reason)
    {
        using var h = Harness(c =>
        {
            switch (header)
            {
                case "login":
                    c.Login = "a\nb";
                    break;
                case "x-value":
                    c.Extra[header] = "a\r\nb";
                    break;
                default:
                    c.Extra[header] = "1";
                    break;
            }
        });
        StompError? error = null;
        h.Client.Send(new() { ["destination"] = "/queue/a" }, (_, err) => error = err);

        h.Transport.ConnectCompleted!(null);

        Assert.That(error?.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error?.Message, Is.EqualTo($"Operation \"SEND\" aborted: Can't connect to stomp.test:61613: OnBeforeConnect gave CONNECT header \"{header}\" {reason}"));
        Assert.That(h.Sent(), Is.Empty);
    }
}
