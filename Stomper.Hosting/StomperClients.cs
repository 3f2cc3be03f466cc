using Microsoft.Extensions.DependencyInjection;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>
/// Finds the registered clients by name, for code that picks one at run time; where the name
/// is known when writing the code, inject <c>[FromKeyedServices("orders")] AsyncStomperClient</c>.
/// </summary>
public sealed class StomperClients
{
    private readonly IServiceProvider _services;
    private readonly StomperRegistry _registry;

    internal StomperClients(IServiceProvider services, StomperRegistry registry) => (_services, _registry) = (services, registry);

    /// <summary>The names given to <c>AddStomper</c>, in the order registered (the unnamed client's is the empty string).</summary>
    public IReadOnlyList<string> Names => _registry.Names;

    /// <summary>The client registered under <paramref name="name"/>, made on first use.</summary>
    /// <exception cref="InvalidOperationException">No client of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">Its configuration is invalid.</exception>
    public AsyncStomperClient Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _registry.Names.Contains(name, StringComparer.Ordinal)
            ? StomperRegistry.Client(_services, name)
            : throw Errors.HostingNameUnknown(name);
    }
}
