namespace EventLoop;

/// <summary>What a socket's watchers wait for, or what the kernel reported of it.</summary>
[Flags]
internal enum IoReadiness
{
    None = 0,

    /// <summary>Readable, or at its end of file.</summary>
    Read = 1,

    /// <summary>Writable.</summary>
    Write = 2,

    /// <summary>An error or a hang-up: wakes the watchers of both directions, who meet it on their next call.</summary>
    Error = 4,
}
