using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Testing;
using Stomper.Tests.EventLoop.Tls;

namespace Stomper.Tests.Review;

/// <summary>
/// Third review of issue 11 (TLS in the handle): a close_notify that comes with the last data,
/// certificate checks that must not block the loop, and the write timeout over TLS.
/// </summary>
[TestFixture]
public sealed class ThirdReviewTlsTests
{
    [Test]
    public void A_close_notify_that_arrives_with_the_last_data_is_an_end_of_file_though_the_peer_keeps_the_connection_open()
    {
        using var pair = new TlsPair();
        pair.Run();

        // Data and close_notify land in one read; the TCP connection stays open (a peer that
        // waits for our close_notify before it closes), so no readiness follows.
        pair.Server!.PushWrite("last words");
        TlsPair.TlsOf(pair.Server).CloseNotify();
        pair.Run();

        Assert.That(pair.ClientReceived.ToString(), Is.EqualTo("last words"));
        Assert.That(pair.ClientEof, Is.True, "the close_notify was read and never reported");
        Assert.That(pair.ClientError, Is.Null);
    }

    [Test]
    public void A_write_timeout_does_not_fire_while_the_ciphertext_keeps_leaving_a_little_at_a_time()
    {
        using var pair = new TlsPair();
        pair.Run();
        pair.Client.WTimeout = 5;
        pair.Pipe.ClientSendLimit = 1_000;
        pair.Pipe.Server.Paused = true;
        var text = new string('s', 60_000);
        pair.Client.PushWrite(text);

        // Every second the peer takes one send's worth: slow, but never stalled for 5 s,
        // so over TCP the timeout would never fire.
        for (var second = 0; second < 200 && pair.ServerReceived.Length < text.Length && pair.ClientError is null; second++)
        {
            pair.Pipe.Server.Paused = false;
            pair.Loop.RunOnce(block: false);
            pair.Pipe.Server.Paused = true;
            pair.Loop.Advance(1);
        }

        pair.Pipe.Server.Paused = false;
        pair.Run();
        Assert.That(pair.ClientError, Is.Null);
        Assert.That(pair.ServerReceived.Length, Is.EqualTo(text.Length));
    }
}
