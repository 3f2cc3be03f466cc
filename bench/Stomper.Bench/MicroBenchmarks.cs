using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EventLoop;

namespace Stomper.Bench;

/// <summary>BenchmarkDotNet figures per frame: parse, encode, and the client's whole SEND path without a socket.</summary>
internal static class MicroBenchmarks
{
    public static void Run(string[] args)
    {
        // In-process: no generated project to build, and the runs take seconds, not minutes.
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableLogFile);
        BenchmarkRunner.Run([typeof(FrameCodecBenchmarks), typeof(ClientSendBenchmarks)], config, args);
    }
}

/// <summary>One MESSAGE frame as the flood peer sends it, parsed; one SEND as the client writes it, encoded.</summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private readonly byte[] _message = StompPeer.EncodeMessage("bench", 1, Encoding.ASCII.GetBytes(Workloads.Body100));
    private readonly byte[] _body = Encoding.ASCII.GetBytes(Workloads.Body100);
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly FrameReader _reader = new(FrameSource.Server) { Version = StompVersion.V1_2 };

    /// <summary>Parse one MESSAGE (4 headers, 100-byte body): the Frame, its header strings and body are the result.</summary>
    [Benchmark]
    public Frame? ParseMessage()
    {
        _reader.TryRead(_message, out var frame, out _, out _);
        return frame;
    }

    /// <summary>Encode one SEND (destination, content-length, 100-byte body) into a reused buffer.</summary>
    [Benchmark]
    public int WriteSend()
    {
        _output.ResetWrittenCount();
        var writer = new FrameWriter(_output, StompVersion.V1_2);
        writer.WriteCommand(StompCommands.Send);
        writer.WriteHeader("destination", "/queue/bench");
        writer.WriteContentLength(_body.Length);
        writer.EndHeaders();
        writer.WriteBody(_body);
        return _output.WrittenCount;
    }
}

/// <summary>
/// <see cref="StomperClient.Send(CommandParams)"/> end to end over a transport that takes every
/// byte at once: header layering, encoding, the write buffer and the flush, without the kernel.
/// </summary>
[MemoryDiagnoser]
public class ClientSendBenchmarks
{
    private Loop _loop = null!;
    private StomperClient _client = null!;
    private readonly CommandParams _send = new() { ["destination"] = "/queue/bench", Body = Workloads.Body100 };

    [GlobalSetup]
    public void Setup()
    {
        _loop = new Loop();
        _client = new StomperClient(new StomperOptions { Loop = _loop, Transport = loop => new SinkTransport(loop) });
        for (var pass = 0; pass < 10 && !_client.IsConnected; pass++)
        {
            _loop.RunOnce(block: false);
        }

        if (!_client.IsConnected)
        {
            throw new InvalidOperationException("The sink transport did not connect the client");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _loop.Dispose();
    }

    [Benchmark]
    public void Send() => _client.Send(_send);

    /// <summary>
    /// The thread check that every public member of the loop, the handle and the client
    /// starts with (a SEND passes two or three of them); on the owning thread it is a
    /// thread-local read and a comparison.
    /// </summary>
    [Benchmark]
    public void VerifyAccess() => _loop.VerifyAccess();

    /// <summary>Connects at once, answers the CONNECT with CONNECTED, takes every write whole.</summary>
    private sealed class SinkTransport(Loop loop) : ITransport
    {
        private static readonly byte[] Connected = Encoding.ASCII.GetBytes("CONNECTED\nversion:1.2\nsession:sink\n\n\0");
        private bool _answered;
        private Action? _onReadable;

        public void Connect(string host, int port, Action<string?> completed) => loop.Post(() => completed(null));

        public void WatchRead(Action? onReadable) => _onReadable = onReadable;

        public void WatchWrite(Action? onWritable)
        {
        }

        public int Receive(byte[] buffer, int offset, int count)
        {
            if (_answered)
            {
                return -1;
            }

            _answered = true;
            Connected.CopyTo(buffer, offset);
            return Connected.Length;
        }

        public int Send(byte[] buffer, int offset, int count)
        {
            // CONNECTED answers the CONNECT, the first write; later writes vanish.
            if (!_answered && _onReadable is { } readable)
            {
                loop.Post(readable);
            }

            return count;
        }

        public void Configure(bool noDelay, bool keepAlive)
        {
        }

        public void Dispose()
        {
        }
    }
}
