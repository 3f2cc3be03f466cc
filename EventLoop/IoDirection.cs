namespace EventLoop;

/// <summary>What an I/O watcher waits for; the values match Perl's <c>AE::io $fh, 0|1, $cb</c>.</summary>
public enum IoDirection
{
    /// <summary>The socket has data to read, or an end-of-file or error to report.</summary>
    Read = 0,

    /// <summary>The socket can take more data, or has an error to report.</summary>
    Write = 1,
}
