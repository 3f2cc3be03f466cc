namespace Stomper.Testing;

/// <summary>Frame counts per STOMP command, incremented on the broker thread and read from any thread without a lock.</summary>
internal sealed class CommandCounts
{
    private static readonly string[] Commands =
    [
        StompCommands.Connect, StompCommands.Stomp, StompCommands.Send, StompCommands.Subscribe,
        StompCommands.Unsubscribe, StompCommands.Ack, StompCommands.Nack, StompCommands.Begin,
        StompCommands.Commit, StompCommands.Abort, StompCommands.Disconnect, StompCommands.Connected,
        StompCommands.Message, StompCommands.Receipt, StompCommands.Error,
    ];

    private readonly long[] _counts = new long[Commands.Length];

    public void Add(string command, long count = 1) => Interlocked.Add(ref _counts[IndexOf(command)], count);

    public long this[string command] => Interlocked.Read(ref _counts[IndexOf(command)]);

    /// <summary>The non-zero counts, for failure messages: <c>CONNECT x1, SEND x3</c>.</summary>
    public override string ToString()
    {
        var parts = Commands.Select(c => (c, n: this[c])).Where(p => p.n > 0).Select(p => $"{p.c} x{p.n}").ToArray();
        return parts.Length == 0 ? "nothing" : string.Join(", ", parts);
    }

    private static int IndexOf(string command)
    {
        var index = Array.IndexOf(Commands, command);
        return index >= 0 ? index : throw new ArgumentException($"\"{command}\" is not a STOMP command", nameof(command));
    }
}
