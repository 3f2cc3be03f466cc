using System.Diagnostics;
using System.Globalization;

namespace Stomper.Bench;

/// <summary>
/// The client's own CPU per SEND, without the kernel: <see cref="ClientSendBenchmarks"/>'s
/// sink transport takes every write whole, so a round is header layering, encoding and the
/// write buffer alone. Timed in process CPU, not wall time, so that a loaded machine
/// inflates it less; rounds repeat so that two builds can be alternated and compared.
/// </summary>
internal static class SendFloor
{
    public static void Run(int sends, int rounds)
    {
        var bench = new ClientSendBenchmarks();
        bench.Setup();

        // Enough calls for the tiered JIT to settle on its optimized code before timing.
        for (var i = 0; i < sends; i++)
        {
            bench.Send();
        }

        Thread.Sleep(500);
        for (var round = 0; round < rounds; round++)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < sends; i++)
            {
                bench.Send();
            }

            var spent = Process.GetCurrentProcess().TotalProcessorTime - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BENCH send-floor cpu_ns_per_send={spent.TotalNanoseconds / sends:F1}"));
        }

        bench.Cleanup();
    }
}
