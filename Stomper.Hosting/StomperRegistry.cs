using Microsoft.Extensions.DependencyInjection;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>The names of the clients registered in one service collection, in order.</summary>
internal sealed class StomperRegistry
{
    private readonly List<string> _names = [];

    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// The client registered under <paramref name="name"/>: the unnamed one is an unkeyed
    /// service only, since a second, keyed registration of the same instance would have the
    /// container dispose it twice (it disposes what each registration's factory returns).
    /// </summary>
    public static AsyncStomperClient Client(IServiceProvider services, string name) =>
        name.Length == 0 ? services.GetRequiredService<AsyncStomperClient>() : services.GetRequiredKeyedService<AsyncStomperClient>(name);

    public bool Add(string name)
    {
        if (_names.Contains(name, StringComparer.Ordinal))
        {
            return false;
        }

        _names.Add(name);
        return true;
    }
}
