using System.Text.RegularExpressions;
using NUnit.Framework;
using Stomper.Tests.Integration;

namespace Stomper.Tests.Docs;

/// <summary>
/// The repository's README shows the first program of the Stomper package's README, which
/// Packaging/FromPackagesTests builds from the packages and runs against RabbitMQ: the two
/// must not drift apart.
/// </summary>
[TestFixture]
public sealed partial class ReadmeProgramTests
{
    [Test]
    public void The_readme_shows_the_first_program_that_the_Stomper_package_ships_and_the_tests_run()
    {
        var package = FirstCsharpBlock("Stomper/README.md");

        Assert.That(package, Does.Contain("stomper.Disconnect(").And.Contain("stomper.Subscribe(").And.Contain("stomper.Send("));
        Assert.That(FirstCsharpBlock("README.md"), Is.EqualTo(package));
    }

    private static string FirstCsharpBlock(string relative) =>
        CsharpBlock().Match(File.ReadAllText(Path.Combine(Brokers.RepositoryRoot, relative))).Groups[1].Value;

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();
}
