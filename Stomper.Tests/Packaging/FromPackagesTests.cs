using System.Text.RegularExpressions;
using NUnit.Framework;
using Stomper.Tests.Integration;

namespace Stomper.Tests.Packaging;

/// <summary>
/// What a user on a fresh machine does after <c>dotnet add package Stomper</c>: the first
/// program of the package's README, built from the packages in artifacts/packages alone, run
/// against RabbitMQ. Needs <c>make pack</c> first, which <c>make test</c> runs.
/// </summary>
[TestFixture]
public sealed partial class FromPackagesTests : BrokerFixture
{
    [Test]
    public void The_readme_program_built_from_the_packages_alone_connects_subscribes_sends_receives_and_disconnects()
    {
        var node = Brokers.Rabbit(1);
        var program = Replace(FirstCsharpBlock(Path.Combine(Brokers.RepositoryRoot, "Stomper", "README.md")), new()
        {
            ["Host = \"127.0.0.1\", Port = 61613"] = $"Host = \"{node.Host}\", Port = {node.Port}",
            ["Login = \"guest\", Passcode = \"guest\""] = $"Login = \"{Brokers.Login}\", Passcode = \"{Brokers.Passcode}\"",
            ["\"/queue/hello\""] = $"\"/queue/stomper-from-packages-{Guid.NewGuid():N}\"",
        });
        using var project = new ConsumerProject(program, "Stomper");

        project.Build();
        var (exitCode, output) = project.Run(TimeSpan.FromMinutes(1));

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Is.EqualTo(new[] { "Connected", "Subscribed", "Received: Hello, world!", "Disconnected" }), output);
    }

    /// <summary>The first <c>csharp</c> block of a markdown file: the README's first program.</summary>
    private static string FirstCsharpBlock(string markdown)
    {
        var match = CsharpBlock().Match(File.ReadAllText(markdown));
        Assert.That(match.Success, Is.True, $"{markdown} has no csharp block");
        return match.Groups[1].Value;
    }

    /// <summary>Points the program at the test's broker and a queue of its own; each text must be there, so a README that drifted fails here.</summary>
    private static string Replace(string program, Dictionary<string, string> replacements)
    {
        foreach (var (text, replacement) in replacements)
        {
            Assert.That(program, Does.Contain(text), "the README's first program changed: update this test's replacements");
            program = program.Replace(text, replacement, StringComparison.Ordinal);
        }
        return program;
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();
}
