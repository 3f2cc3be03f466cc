using EventLoop;
using Stomper.Cluster;

namespace Stomper.Examples;

/// <summary>The seed's SYNOPSIS (AnyEvent::Stomper::Cluster), line by line.</summary>
internal static class Synopsis
{
    public static void Run()
    {
        var cluster = new StomperCluster(new()                       // my $cluster = AnyEvent::Stomper::Cluster->new(
        {
            Nodes = Settings.Nodes,                                   //   nodes => [ { host => ..., port => ... }, ... ],
            Login = Settings.Login,                                   //   login    => 'guest',
            Passcode = Settings.Passcode,                             //   passcode => 'guest',
        });                                                           // );

        var cv = AE.Cv();                                             // my $cv = AE::cv;

        cluster.Subscribe(new()                                       // $cluster->subscribe(
        {
            ["id"] = "foo",                                           //   id          => 'foo',
            ["destination"] = "/queue/foo",                           //   destination => '/queue/foo',
            OnReceipt = (_, err) =>                                   //   on_receipt => sub { my $err = $_[1];
            {
                if (err is not null)                                  //     if ( defined $err ) {
                {
                    Console.Error.WriteLine(err.Message);             //       warn $err->message . "\n";
                    cv.Send();                                        //       $cv->send;
                    return;                                           //       return;
                }                                                     //     }

                cluster.Send(new()                                    //     $cluster->send(
                {
                    ["destination"] = "/queue/foo",                   //       destination => '/queue/foo',
                    Body = "Hello, world!",                           //       body        => 'Hello, world!',
                });                                                   //     );
            },                                                        //   },
            OnMessage = msg =>                                        //   on_message => sub { my $msg = shift;
            {
                var body = msg.Body;                                  //     my $body = $msg->body;
                Console.WriteLine($"Consumed: {body}");               //     print "Consumed: $body\n";
                cv.Send();                                            //     $cv->send;
            },                                                        //   },
        });                                                           // );

        cv.Recv();                                                    // $cv->recv;
        cluster.Dispose();
    }
}
