namespace Stomper.Async.Engine;

/// <summary>A piece of work that crosses from a caller's thread to the loop's.</summary>
internal interface ILoopWork
{
    /// <summary>Runs on the loop's thread.</summary>
    void Run();

    /// <summary>The loop is gone before the work ran: the caller hears <paramref name="error"/> instead.</summary>
    void Abandon(Exception error);
}
