using Microsoft.Extensions.Logging;

namespace Stomper;

/// <summary>
/// The user's logger behind the library's log events. Events are logged in the middle of the
/// client's bookkeeping (a connection's teardown logs before its commands are answered and its
/// reconnect is timed); a provider that throws must not break that off halfway, so its
/// exception stops here. The first is written to standard error, where the original's errors
/// go when nobody listens; the rest pass in silence rather than flood it.
/// </summary>
internal sealed class GuardedLogger : ILogger
{
    private readonly ILogger _inner;
    private readonly string _category;
    private bool _reported;

    private GuardedLogger(ILogger inner, string category) => (_inner, _category) = (inner, category);

    /// <summary>The factory's logger of <typeparamref name="T"/>'s category, guarded; null without a factory.</summary>
    public static ILogger? For<T>(ILoggerFactory? factory) =>
        factory?.CreateLogger<T>() is { } logger ? new GuardedLogger(logger, typeof(T).FullName!) : null;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return _inner.BeginScope(state);
        }
#pragma warning disable CA1031 // Whatever the provider throws: see the class.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Report(e);
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return _inner.IsEnabled(logLevel);
        }
#pragma warning disable CA1031 // Whatever the provider throws: see the class.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Report(e);
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
#pragma warning disable CA1031 // Whatever the provider throws: see the class.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Report(e);
        }
    }

    private void Report(Exception e)
    {
        if (!_reported)
        {
            _reported = true;
            Console.Error.WriteLine(Errors.LoggerFailed(_category, e));
        }
    }
}
