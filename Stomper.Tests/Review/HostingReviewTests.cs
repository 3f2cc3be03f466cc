using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Stomper.Hosting;

namespace Stomper.Tests.Review;

/// <summary>Review of issue 13's hosting: what the health check's probe says of a node that does not answer.</summary>
[TestFixture]
public sealed class HostingReviewTests
{
    [Test]
    [CancelAfter(20_000)]
    public async Task A_probe_that_times_out_says_so_in_the_invariant_culture_whatever_the_hosts()
    {
        // A listener that never accepts, its queue filled: the kernel then answers no SYN.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        string? failure = null;
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            for (var i = 0; i < 8 && failure is null; i++)
            {
                failure = await NodeProbe.TryConnectAsync("127.0.0.1", port, TimeSpan.FromMilliseconds(250), CancellationToken.None);
                if (failure is null)
                {
                    var filler = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    fillers.Add(filler);
                    _ = filler.ConnectAsync(IPAddress.Loopback, port);
                }
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            fillers.ForEach(s => s.Dispose());
        }

        Assert.That(failure, Is.EqualTo("no answer within 0.25 s"));
    }
}
