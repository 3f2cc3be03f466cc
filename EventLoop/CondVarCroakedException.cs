namespace EventLoop;

/// <summary>What <see cref="CondVar.Recv"/> throws after <see cref="CondVar.Croak(string)"/> (Perl's <c>$cv-&gt;croak("text")</c>).</summary>
public sealed class CondVarCroakedException : Exception
{
    /// <summary>An exception with no message.</summary>
    public CondVarCroakedException()
    {
    }

    /// <summary>An exception with the croak's text.</summary>
    public CondVarCroakedException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with the croak's text and a cause.</summary>
    public CondVarCroakedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
