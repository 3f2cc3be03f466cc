using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Stomper.Tests.Client;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Review;

/// <summary>Review of issue 13: a logging provider that throws is the user's bug, and must not leave the client half torn down.</summary>
[TestFixture]
public sealed class ThrowingLoggerTests
{
    [Test]
    public void A_logger_that_throws_leaves_a_lost_connection_reported_in_full_and_says_so_once_on_standard_error()
    {
        var errors = new List<string>();
        var disconnects = 0;
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            using var h = new ClientHarness(o => o.ConnectionWith(new()
            {
                LoggerFactory = new ThrowingLoggerFactory(),
                OnError = e => errors.Add(e.Message),
                OnDisconnect = () => disconnects++,
            }));
            h.Connect();
            StompError? sendError = null;
            h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => sendError = e);

            Assert.DoesNotThrow(() => h.Transport.ArriveEof());
            h.Loop.RunOnce(block: false);

            Assert.That(sendError?.Code, Is.EqualTo(E_CONN_CLOSED_BY_REMOTE_HOST), "the pending SEND is answered");
            Assert.That(errors, Has.Count.EqualTo(1), "on_error runs");
            Assert.That(disconnects, Is.EqualTo(1), "on_disconnect runs");
        }
        finally
        {
            Console.SetError(previous);
        }

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain("provider is broken"));
    }

    /// <summary>A provider with a bug: every log call throws.</summary>
    private sealed class ThrowingLoggerFactory : ILoggerFactory, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("provider is broken");

        public void Dispose()
        {
        }
    }
}
