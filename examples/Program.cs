using Stomper.Examples;

// One program, one example per file, each readable beside its Perl twin.
var which = args.Length > 0 ? args[0] : "synopsis";
switch (which)
{
    case "synopsis":
        Synopsis.Run();
        return 0;
    case "cluster":
        ClusterExample.Run();
        return 0;
    case "consumer":
        Consumer.Run();
        return 0;
    case "publisher":
        Publisher.Run();
        return 0;
    case "generic":
        Generic.Run();
        return 0;
    case "async-synopsis":
        await AsyncSynopsis.Run();
        return 0;
    case "async-worker":
        await AsyncWorker.Run(args[1..]);
        return 0;
    case "failover":
        return FailoverDemo.Run(args.Length > 1 ? args[1] : "scripts/brokers.sh");
    default:
        Console.Error.WriteLine("usage: Stomper.Examples synopsis|cluster|consumer|publisher|generic|async-synopsis|async-worker|failover [brokers.sh]");
        return 2;
}
