namespace Stomper.Tests.Model;

/// <summary>Thrown by the model's own callbacks on purpose: the one kind of exception allowed to leave the loop, and only at once.</summary>
internal sealed class UserCallbackException : Exception
{
    public UserCallbackException(string message)
        : base(message)
    {
    }

    public UserCallbackException()
    {
    }

    public UserCallbackException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
