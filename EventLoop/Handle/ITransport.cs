namespace EventLoop;

/// <summary>
/// The byte stream under a <see cref="Handle"/>: the seam where tests put a mock.
/// <see cref="SocketTransport"/> is the real one. Every member is called on the loop
/// thread, and every callback must be made on it too. Buffers are arrays with offsets
/// (not spans) so that Moq can set up and verify every member.
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>
    /// Starts connecting to <paramref name="host"/>:<paramref name="port"/> without
    /// blocking, name resolution included, and later calls <paramref name="completed"/>
    /// with null on success or the system's error text (for example
    /// <c>Connection refused</c>).
    /// </summary>
    void Connect(string host, int port, Action<string?> completed);

    /// <summary>Calls <paramref name="onReadable"/> while data, end-of-file or an error is waiting; null stops.</summary>
    void WatchRead(Action? onReadable);

    /// <summary>Calls <paramref name="onWritable"/> while the stream can take data; null stops.</summary>
    void WatchWrite(Action? onWritable);

    /// <summary>
    /// Reads what is available without blocking: the byte count, 0 at end-of-file, or
    /// -1 when nothing is available now. Throws (typically
    /// <see cref="System.Net.Sockets.SocketException"/>) on a stream error.
    /// </summary>
    int Receive(byte[] buffer, int offset, int count);

    /// <summary>Writes what the stream takes without blocking and returns that count (0 when it takes nothing now). Throws on a stream error.</summary>
    int Send(byte[] buffer, int offset, int count);

    /// <summary>Applies TCP options (AnyEvent::Handle's <c>no_delay</c> and <c>keepalive</c>) once connected.</summary>
    void Configure(bool noDelay, bool keepAlive);
}
