using Stomper.Cluster;

namespace Stomper.Examples;

/// <summary>
/// Where the examples connect. The Perl originals hard-code their servers; these read
/// the same environment variables as the tests (docs/brokers.md), defaulting to the
/// brokers that <c>make brokers</c> starts.
/// </summary>
/// <remarks>
/// All but the worker service: <see cref="AsyncWorker"/> shows the host's own configuration
/// (appsettings.json and <c>Stomper__Work__*</c> variables), so it does not read these.
/// </remarks>
internal static class Settings
{
    public static string Login => Environment.GetEnvironmentVariable("STOMPER_LOGIN") ?? "guest";

    public static string Passcode => Environment.GetEnvironmentVariable("STOMPER_PASSCODE") ?? "guest";

    public static IReadOnlyList<ClusterNode> Nodes =>
        [.. (Environment.GetEnvironmentVariable("STOMPER_RABBIT_NODES") ?? "127.0.0.1:61613,127.0.0.1:61614,127.0.0.1:61615")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ParseNode)];

    /// <summary>The single server of the single-node examples: the first node.</summary>
    public static ClusterNode Server => Nodes[0];

    private static ClusterNode ParseNode(string text)
    {
        var colon = text.LastIndexOf(':');
        return new ClusterNode(text[..colon], int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
