using Stomper.Async;

namespace Stomper.Examples;

/// <summary>The seed's SYNOPSIS (AnyEvent::Stomper::Cluster) in async form: the same steps, awaited instead of called back.</summary>
internal static class AsyncSynopsis
{
    public static async Task Run()
    {
        await using var cluster = new AsyncStomperClient(new()     // my $cluster = AnyEvent::Stomper::Cluster->new(
        {
            Cluster = new()
            {
                Nodes = Settings.Nodes,                               //   nodes => [ { host => ..., port => ... }, ... ],
                Login = Settings.Login,                               //   login    => 'guest',
                Passcode = Settings.Passcode,                         //   passcode => 'guest',
            },
        });                                                           // );

        AsyncSubscription subscription;
        try
        {
            subscription = await cluster.SubscribeAsync(new()        // $cluster->subscribe(
            {
                ["id"] = "foo",                                       //   id          => 'foo',
                ["destination"] = "/queue/foo",                       //   destination => '/queue/foo',
            });                                                       //   on_receipt => sub { ... }: the await returns
        }
        catch (StompException err)                                    //     if ( defined $err ) {
        {
            Console.Error.WriteLine(err.Message);                     //       warn $err->message . "\n";
            return;                                                   //       $cv->send; return;
        }

        await cluster.SendAsync(new()                                 //     $cluster->send(
        {
            ["destination"] = "/queue/foo",                           //       destination => '/queue/foo',
            Body = "Hello, world!",                                   //       body        => 'Hello, world!',
        });                                                           //     );

        await foreach (var msg in subscription)                       //   on_message => sub { my $msg = shift;
        {
            var body = msg.Body;                                      //     my $body = $msg->body;
            Console.WriteLine($"Consumed: {body}");                   //     print "Consumed: $body\n";
            break;                                                    //     $cv->send;
        }                                                             //   },

        await subscription.DisposeAsync();                            // (UNSUBSCRIBE, which the Perl program leaves to the broker)
        await cluster.DisconnectAsync();                              // (DISCONNECT with a receipt)
    }
}
