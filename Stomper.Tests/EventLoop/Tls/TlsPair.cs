using System.Text;
using EventLoop;
using Stomper.Testing;

namespace Stomper.Tests.EventLoop.Tls;

/// <summary>A TLS client handle and a TLS server handle over a <see cref="MemoryPipe"/> on a hand-stepped loop.</summary>
internal sealed class TlsPair : IDisposable
{
    public TlsPair(TlsContext? serverContext = null, TlsContext? clientContext = null, string host = "localhost", string? peername = null,
        Func<Handle, double>? onPrepare = null, int readSize = 64 * 1024, int wbufMax = 0, bool autocork = false, bool startServer = true,
        Func<ITransport, ITransport>? wrapClient = null)
    {
        Loop = new Loop(new FakeClock());
        Pipe = new MemoryPipe(Loop);
        if (startServer)
        {
            Server = new Handle(Loop, Pipe.Server, new HandleOptions
            {
                Tls = TlsMode.Accept,
                TlsCtx = serverContext ?? TestCertificates.Shared.ServerContext(),
                OnConnect = (_, _, _) => ServerConnected = true,
                OnConnectError = (_, reason) => ServerError = reason,
                OnError = (_, _, message) => ServerError = message,
                OnRead = h => Collect(h, ServerReceived),
                OnEof = _ => ServerEof = true,
            });
        }

        Client = new Handle(Loop, new HandleOptions
        {
            Host = host,
            Port = 61613,
            Tls = TlsMode.Connect,
            TlsCtx = clientContext ?? TestCertificates.Shared.ClientContext(),
            Peername = peername,
            Transport = _ => wrapClient is null ? Pipe.Client : wrapClient(Pipe.Client),
            OnPrepare = onPrepare,
            ReadSize = readSize,
            WbufMax = wbufMax,
            Autocork = autocork,
            OnConnect = (_, _, _) => ClientConnected = true,
            OnConnectError = (_, reason) => ClientError = reason,
            OnError = (_, _, message) => ClientError = message,
            OnRead = h => Collect(h, ClientReceived),
            OnEof = _ => ClientEof = true,
        });
    }

    public Loop Loop { get; }

    public MemoryPipe Pipe { get; }

    public Handle Client { get; }

    public Handle? Server { get; }

    public bool ClientConnected { get; private set; }

    public bool ServerConnected { get; private set; }

    public string? ClientError { get; private set; }

    public string? ServerError { get; private set; }

    public bool ClientEof { get; private set; }

    public bool ServerEof { get; private set; }

    public StringBuilder ClientReceived { get; } = new();

    public StringBuilder ServerReceived { get; } = new();

    /// <summary>The TLS layer the handle made over its transport (private to the handle: tests look in).</summary>
    public static TlsTransport TlsOf(Handle handle) =>
        (TlsTransport)typeof(Handle).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(handle)!;

    /// <summary>Takes everything read, as text, into <paramref name="received"/>.</summary>
    private static void Collect(Handle handle, StringBuilder received)
    {
        received.Append(Encoding.UTF8.GetString(handle.ReadBuffer));
        handle.Consume(handle.ReadBuffer.Length);
    }

    /// <summary>Runs passes until nothing happens any more (at most <paramref name="passes"/>).</summary>
    public void Run(int passes = 200)
    {
        for (var i = 0; i < passes && Loop.RunOnce(block: false); i++)
        {
        }
    }

    public void Dispose()
    {
        if (!Client.IsDestroyed)
        {
            Client.Linger = 0;
            Client.Dispose();
        }

        Server?.Dispose();
        Loop.Dispose();
    }
}
