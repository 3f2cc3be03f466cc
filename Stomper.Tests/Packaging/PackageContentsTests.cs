using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;

namespace Stomper.Tests.Packaging;

/// <summary>
/// The packages <c>make pack</c> wrote, checked without a broker. In the Integration category
/// because they need <c>make pack</c> first, which <c>make test</c> runs and <c>make unit-test</c> does not.
/// </summary>
[TestFixture]
[Category("Integration")]
public sealed class PackageContentsTests
{
    [Test]
    public void Every_library_has_a_package_with_its_dll_xml_docs_readme_and_licence_and_a_symbols_package()
    {
        Assert.That(PackageFeed.Libraries.Select(l => l.PackageId), Is.SupersetOf(new[] { "Stomper", "Stomper.Cluster", "Stomper.EventLoop", "Stomper.Testing" }));
        foreach (var (_, id, assembly) in PackageFeed.Libraries)
        {
            using var package = ZipFile.OpenRead(PackageFeed.Package(id));
            Assert.That(package.Entries.Select(e => e.FullName),
                Is.SupersetOf(new[] { $"lib/net10.0/{assembly}.dll", $"lib/net10.0/{assembly}.xml", "README.md", "LICENSES/LICENSE" }), id);

            using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Multiple(() =>
            {
                Assert.That(Field("license"), Is.EqualTo("Artistic-1.0-Perl OR GPL-1.0-or-later"), id);
                Assert.That(Field("readme"), Is.EqualTo("README.md"), id);
                Assert.That(Field("description"), Is.Not.Empty, id);
                Assert.That(Field("releaseNotes"), Is.Not.Empty, id);
                Assert.That(Field("projectUrl"), Does.StartWith("https://"), id);
                Assert.That(repository.Attribute("url")?.Value, Is.EqualTo(Field("projectUrl")), id);
                Assert.That(repository.Attribute("commit")?.Value, Does.Match("^[0-9a-f]{40}$"), id);
            });

            using var symbols = ZipFile.OpenRead(PackageFeed.Package(id, "snupkg"));
            Assert.That(symbols.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{assembly}.pdb"), id);
        }
    }

    [Test]
    public void A_package_depends_on_exactly_the_version_of_the_libraries_built_beside_it()
    {
        var ours = PackageFeed.Libraries.Select(l => l.PackageId).ToHashSet();
        var seen = 0;
        foreach (var (_, id, _) in PackageFeed.Libraries)
        {
            using var package = ZipFile.OpenRead(PackageFeed.Package(id));
            using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
            foreach (var dependency in XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency"))
            {
                if (ours.Contains(dependency.Attribute("id")!.Value))
                {
                    seen++;
                    Assert.That(dependency.Attribute("version")?.Value, Is.EqualTo($"[{PackageFeed.Version}]"),
                        $"{id} -> {dependency.Attribute("id")!.Value}: the libraries share internals, so a later one must not be taken");
                }
            }
        }

        Assert.That(seen, Is.GreaterThanOrEqualTo(4), "Stomper, Stomper.Cluster, Stomper.Async and Stomper.Testing depend on the libraries below them");
    }

    [Test]
    public void A_program_restores_the_client_and_its_loop_from_the_packages_folder_and_nowhere_else()
    {
        using var project = new ConsumerProject("Console.WriteLine(typeof(Stomper.StomperClient).Assembly.Location);", "Stomper");

        project.Build();

        foreach (var id in new[] { "stomper", "stomper.eventloop" })
        {
            var metadata = Path.Combine(project.Cache, id, PackageFeed.Version, ".nupkg.metadata");
            Assert.That(File.Exists(metadata), Is.True, $"{id} {PackageFeed.Version} was not restored");
            Assert.That(File.ReadAllText(metadata), Does.Contain(PackageFeed.Folder), $"{id} came from another source");
        }
    }
}
