namespace Stomper.Hosting;

/// <summary>The names of the clients registered in one service collection, in order.</summary>
internal sealed class StomperRegistry
{
    private readonly List<string> _names = [];

    public IReadOnlyList<string> Names => _names;

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
