namespace Stomper.Tests.Model;

/// <summary>An invariant of the model test broke; the message carries the seed, the step and the trace.</summary>
internal sealed class ModelViolationException : Exception
{
    public ModelViolationException(string invariant, string message)
        : base(message)
    {
        Invariant = invariant;
    }

    public ModelViolationException()
    {
        Invariant = string.Empty;
    }

    public ModelViolationException(string message, Exception inner)
        : base(message, inner)
    {
        Invariant = string.Empty;
    }

    /// <summary>Which invariant, as the issue words it.</summary>
    public string Invariant { get; }
}
