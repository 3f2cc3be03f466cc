using NUnit.Framework;

namespace Stomper.Tests.Packaging;

/// <summary>
/// A user's console project in a temporary folder, outside the repository: it takes the
/// Stomper packages from artifacts/packages alone (package source mapping) and everything
/// else from the usual NuGet source, into a package cache of its own, so that no stale copy
/// can stand in for a broken package.
/// </summary>
internal sealed class ConsumerProject : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    public ConsumerProject(string program, params string[] packages)
    {
        Folder = Directory.CreateTempSubdirectory("stomper-from-packages-").FullName;
        File.WriteAllText(Path.Combine(Folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{PackageFeed.Folder}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="artifacts">
                  <package pattern="Stomper" />
                  <package pattern="Stomper.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        var references = string.Join("\n", packages.Select(p =>
            $"""    <PackageReference Include="{p}" Version="[{PackageFeed.Version}]" />"""));
        File.WriteAllText(Path.Combine(Folder, "FirstProgram.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(Folder, "Program.cs"), program);
        foreach (var package in packages)
        {
            _ = PackageFeed.Package(package);
        }
    }

    public string Folder { get; }

    /// <summary>The project's own package cache (NUGET_PACKAGES).</summary>
    public string Cache => Path.Combine(Folder, "nuget-cache");

    /// <summary>Restores and builds in Release, failing the test with the build's output when it does not.</summary>
    public void Build()
    {
        var (exitCode, output) = DotnetCli.Run(Folder, Cache, BuildTimeout, "build", "-c", "Release", "-nodeReuse:false");
        Assert.That(exitCode, Is.Zero, $"the program did not build from the packages:\n{output}");
    }

    /// <summary>Runs the built program; returns its exit code and output.</summary>
    public (int ExitCode, string Output) Run(TimeSpan timeout) =>
        DotnetCli.Run(Folder, Cache, timeout, "run", "--no-build", "-c", "Release");

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
