using NUnit.Framework;

namespace Stomper.Tests.Docs;

/// <summary>
/// Keeps docs/testing.md honest: each of its <c>csharp</c> blocks is marked
/// <c>&lt;!-- compiled --&gt;</c> and appears, verbatim up to indentation, in
/// TestingWalkthroughTests.cs, where it compiles and runs.
/// </summary>
[TestFixture]
public sealed class DocsStayCompiledTests
{
    private const string Marker = "<!-- compiled -->";

    [Test]
    public void Every_csharp_block_of_the_testing_guide_is_marked_compiled()
    {
        var unmarked = Blocks(Read("docs/testing.md")).Where(b => !b.Marked).Select(b => b.Line).ToArray();

        Assert.That(unmarked, Is.Empty, "docs/testing.md has csharp blocks, at these lines, that no test compiles");
    }

    [Test]
    public void Every_compiled_block_of_the_testing_guide_appears_verbatim_in_the_walkthrough_tests()
    {
        var code = Lines(Read("Stomper.Tests/Docs/TestingWalkthroughTests.cs"));
        var blocks = Blocks(Read("docs/testing.md")).Where(b => b.Marked).ToArray();

        var missing = blocks.Where(b => !Contains(code, b.Lines)).Select(b => $"line {b.Line}: {b.Lines[0]}").ToArray();

        Assert.That(blocks, Has.Length.GreaterThanOrEqualTo(5), "the walk-through lost its blocks");
        Assert.That(missing, Is.Empty, "these blocks of docs/testing.md differ from TestingWalkthroughTests.cs");
    }

    [Test]
    public void A_block_that_drifted_from_the_code_is_caught()
    {
        var code = Lines("class A\n{\n    void M()\n    {\n        Call(1);\n    }\n}\n");

        Assert.That(Contains(code, Dedent(["void M()", "{", "    Call(1);", "}"])), Is.True);
        Assert.That(Contains(code, Dedent(["void M()", "{", "    Call(2);", "}"])), Is.False);
    }

    private static string Read(string relative)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "stomper.sln")))
        {
            dir = dir.Parent;
        }

        return File.ReadAllText(Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("stomper.sln not found above the test directory"), relative));
    }

    private static string[] Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

    private static IEnumerable<(int Line, bool Marked, string[] Lines)> Blocks(string markdown)
    {
        var lines = Lines(markdown);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            var marked = i > 0 && lines[i - 1].Trim() == Marker;
            yield return (i + 1, marked, Dedent(lines[(i + 1)..end]));
            i = end;
        }
    }

    private static string[] Dedent(string[] lines)
    {
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return lines.Select(l => l.Trim().Length == 0 ? string.Empty : l[indent..].TrimEnd()).ToArray();
    }

    private static bool Contains(string[] code, string[] block)
    {
        for (var start = 0; start + block.Length <= code.Length; start++)
        {
            if (Dedent(code[start..(start + block.Length)]).SequenceEqual(block))
            {
                return true;
            }
        }

        return false;
    }
}
