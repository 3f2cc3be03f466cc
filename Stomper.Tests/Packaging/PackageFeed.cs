using System.Reflection;
using System.Xml.Linq;
using Stomper.Tests.Integration;

namespace Stomper.Tests.Packaging;

/// <summary>
/// What <c>make pack</c> wrote to artifacts/packages, and the libraries it should have written
/// it for: every project of the repository that sets IsPackable.
/// </summary>
internal static class PackageFeed
{
    public static string Folder { get; } = Path.Combine(Brokers.RepositoryRoot, "artifacts", "packages");

    /// <summary>The version this build stamps on its assemblies, and so on the packages of the same commit.</summary>
    public static string Version { get; } =
        typeof(StomperClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];

    /// <summary>Each packable project: its folder, package id and assembly name.</summary>
    public static IReadOnlyList<(string Folder, string PackageId, string AssemblyName)> Libraries { get; } = FindLibraries();

    /// <summary>The path of a package of this version, failing with what to run when it is missing.</summary>
    public static string Package(string id, string extension = "nupkg")
    {
        var path = Path.Combine(Folder, $"{id}.{Version}.{extension}");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: run `make pack` first (make test does)", path);
        }
        return path;
    }

    private static (string, string, string)[] FindLibraries() =>
        Directory.GetFiles(Brokers.RepositoryRoot, "*.csproj", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => (Path: path, Properties: XDocument.Load(path).Descendants().Where(e => e.Parent?.Name == "PropertyGroup").ToArray()))
            .Where(p => p.Properties.Any(e => e.Name == "IsPackable" && e.Value == "true"))
            .Select(p =>
            {
                var name = Path.GetFileNameWithoutExtension(p.Path);
                string Property(string property) => p.Properties.FirstOrDefault(e => e.Name == property)?.Value ?? name;
                return (Path.GetDirectoryName(p.Path)!, Property("PackageId"), Property("AssemblyName"));
            })
            .OrderBy(l => l.Item2, StringComparer.Ordinal)
            .ToArray();
}
