namespace Stomper.Hosting;

/// <summary>The connection parameters of <see cref="HandleParams"/> (AnyEvent::Handle's), as configuration: <c>"Handle": { "Autocork": true, "NoDelay": true }</c>.</summary>
public sealed class StomperHandleSettings
{
    /// <summary><c>autocork</c>: gather the frames of one loop pass into one write.</summary>
    public bool Autocork { get; set; }

    /// <summary><c>no_delay</c>: disable Nagle's algorithm.</summary>
    public bool NoDelay { get; set; }

    /// <summary><c>keepalive</c>: TCP keep-alive probes.</summary>
    public bool KeepAlive { get; set; }

    /// <summary><c>linger</c> in seconds, 0 or more (default 3600).</summary>
    public double? Linger { get; set; }

    /// <summary><c>read_size</c>: bytes per read, 1 or more (default 65536).</summary>
    public int? ReadSize { get; set; }

    /// <summary><c>wbuf_max</c>: most bytes waiting to be written, 0 for no limit (the default).</summary>
    public int? WbufMax { get; set; }
}
