using NUnit.Framework;

namespace Stomper.Tests.Codec;

public class HeaderEscapingTests
{
    [TestCase(StompVersion.V1_0, "a\nb:c\\d\re", "a\nb:c\\d\re")]
    [TestCase(StompVersion.V1_1, "a\nb:c\\d\re", "a\\nb\\cc\\\\d\re")]
    [TestCase(StompVersion.V1_2, "a\nb:c\\d\re", "a\\nb\\cc\\\\d\\re")]
    [TestCase(StompVersion.V1_2, "plain", "plain")]
    [TestCase(StompVersion.V1_2, "", "")]
    [TestCase(StompVersion.V1_2, "\\\\", "\\\\\\\\")]
    public void Each_version_escapes_its_own_set(StompVersion version, string value, string escaped)
    {
        Assert.That(HeaderEscaping.Escape(value, version), Is.EqualTo(escaped));
    }

    [TestCase(StompVersion.V1_0, "a\\nb\\c", "a\\nb\\c")]
    [TestCase(StompVersion.V1_1, "a\\nb\\cc\\\\d", "a\nb:c\\d")]
    [TestCase(StompVersion.V1_2, "a\\nb\\cc\\\\d\\re", "a\nb:c\\d\re")]
    [TestCase(StompVersion.V1_2, "ü\\cö", "ü:ö")]
    public void Each_version_unescapes_its_own_set(StompVersion version, string escaped, string value)
    {
        Assert.That(HeaderEscaping.TryUnescape(escaped, version, out string? result), Is.True);
        Assert.That(result, Is.EqualTo(value));
    }

    [TestCase(StompVersion.V1_1, "\\r")]
    [TestCase(StompVersion.V1_1, "\\t")]
    [TestCase(StompVersion.V1_2, "\\t")]
    [TestCase(StompVersion.V1_2, "\\C")]
    [TestCase(StompVersion.V1_2, "\\N")]
    [TestCase(StompVersion.V1_2, "a\\")]
    public void An_undefined_escape_sequence_does_not_unescape(StompVersion version, string escaped)
    {
        Assert.That(HeaderEscaping.TryUnescape(escaped, version, out string? result), Is.False);
        Assert.That(result, Is.Null);
    }

    [TestCase("CONNECT", StompVersion.V1_2, false)]
    [TestCase("STOMP", StompVersion.V1_2, false)]
    [TestCase("CONNECTED", StompVersion.V1_1, false)]
    [TestCase("SEND", StompVersion.V1_0, false)]
    [TestCase("MESSAGE", StompVersion.V1_0, false)]
    [TestCase("SEND", StompVersion.V1_1, true)]
    [TestCase("MESSAGE", StompVersion.V1_2, true)]
    [TestCase("ERROR", StompVersion.V1_2, true)]
    [TestCase("SUBSCRIBE", StompVersion.V1_1, true)]
    public void Escaping_applies_from_1_1_on_and_never_to_the_connection_handshake(string command, StompVersion version, bool applies)
    {
        Assert.That(HeaderEscaping.Applies(command, version), Is.EqualTo(applies));
    }

    [TestCase(StompVersion.V1_1)]
    [TestCase(StompVersion.V1_2)]
    public void Escaping_then_unescaping_gives_the_text_back(StompVersion version)
    {
        var random = new Random(11);
        string[] alphabet = ["a", "b", ":", "\\", "\n", "ü", "€", "😀", " "];
        for (int i = 0; i < 2000; i++)
        {
            string value = string.Concat(Enumerable.Range(0, random.Next(20)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            Assert.That(HeaderEscaping.TryUnescape(HeaderEscaping.Escape(value, version), version, out string? back), Is.True);
            Assert.That(back, Is.EqualTo(value));
        }
    }

    [Test]
    public void Version_header_values_parse_with_absent_meaning_1_0()
    {
        Assert.That(StompVersions.TryParse(null, out var absent) && absent == StompVersion.V1_0);
        Assert.That(StompVersions.TryParse("1.0", out var v10) && v10 == StompVersion.V1_0);
        Assert.That(StompVersions.TryParse("1.1", out var v11) && v11 == StompVersion.V1_1);
        Assert.That(StompVersions.TryParse("1.2", out var v12) && v12 == StompVersion.V1_2);
        Assert.That(StompVersions.TryParse("2.0", out _), Is.False);
        Assert.That(StompVersion.V1_2.ToHeaderValue(), Is.EqualTo("1.2"));
        Assert.That(StompVersions.AcceptAll, Is.EqualTo("1.0,1.1,1.2"));
        Assert.That(StompVersion.V1_0, Is.LessThan(StompVersion.V1_1));
        Assert.That(StompVersion.V1_1, Is.LessThan(StompVersion.V1_2));
    }
}
