using System.Globalization;
using Stomper.Cluster;

namespace Stomper.Hosting;

/// <summary>Reads a configured node, <c>host:port</c> (<c>[::1]:61613</c> for an IPv6 address).</summary>
internal static class NodeAddress
{
    public static bool TryParse(string? text, out ClusterNode node)
    {
        node = null!;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon].Trim();
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || !int.TryParse(text.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return false;
        }

        node = new ClusterNode(host, port);
        return true;
    }
}
