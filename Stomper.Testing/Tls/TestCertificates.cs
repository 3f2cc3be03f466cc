using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// Certificates made in memory with <see cref="CertificateRequest"/>, for unit tests over
/// TLS without a broker and without files: a CA, a server certificate for
/// <c>127.0.0.1</c>/<c>localhost</c>, a client certificate, an expired one and one for a
/// wrong name, all signed by the CA, plus a second CA that signed nothing here. Making
/// keys is slow, so one set is shared: use <see cref="Shared"/>.
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> s_shared = new(() => new TestCertificates());

    /// <summary>Makes a fresh set (a few hundred milliseconds: prefer <see cref="Shared"/>).</summary>
    public TestCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        Ca = MakeCa("CN=Stomper Test CA", now);
        OtherCa = MakeCa("CN=Stomper Other CA", now);
        Server = Issue(Ca, "CN=localhost", ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], now.AddDays(-1), now.AddDays(30), serverAuth: true);
        Client = Issue(Ca, "CN=stomper-client", [], [], now.AddDays(-1), now.AddDays(30), serverAuth: false);
        Expired = Issue(Ca, "CN=localhost expired", ["localhost"], [IPAddress.Loopback], now.AddDays(-30), now.AddDays(-1), serverAuth: true);
        WrongName = Issue(Ca, "CN=broker.example", ["broker.example"], [], now.AddDays(-1), now.AddDays(30), serverAuth: true);
        Untrusted = Issue(OtherCa, "CN=localhost untrusted", ["localhost"], [IPAddress.Loopback], now.AddDays(-1), now.AddDays(30), serverAuth: true);
    }

    /// <summary>One set for the whole test run.</summary>
    public static TestCertificates Shared => s_shared.Value;

    /// <summary>The CA that signed every certificate below except <see cref="Untrusted"/> (with its key).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>A second CA, signer of <see cref="Untrusted"/>: trust it nowhere to test an untrusted root.</summary>
    public X509Certificate2 OtherCa { get; }

    /// <summary>A server certificate for <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>, with its key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A client certificate (<c>CN=stomper-client</c>) for mutual TLS, with its key.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>A server certificate for <c>localhost</c> that expired yesterday.</summary>
    public X509Certificate2 Expired { get; }

    /// <summary>A server certificate for <c>broker.example</c> only.</summary>
    public X509Certificate2 WrongName { get; }

    /// <summary>A server certificate for <c>localhost</c> signed by <see cref="OtherCa"/>.</summary>
    public X509Certificate2 Untrusted { get; }

    /// <summary>A client context that trusts <see cref="Ca"/> only (as <c>ca_file</c> would), optionally presenting <see cref="Client"/>.</summary>
    public TlsContext ClientContext(bool withClientCertificate = false) => new()
    {
        CaCertificates = [Ca],
        ClientCertificate = withClientCertificate ? Client : null,
    };

    /// <summary>A server context presenting <paramref name="certificate"/> (default <see cref="Server"/>), trusting <see cref="Ca"/> for client certificates.</summary>
    public TlsContext ServerContext(X509Certificate2? certificate = null, bool requireClientCert = false) => new()
    {
        ServerCertificate = certificate ?? Server,
        CaCertificates = [Ca],
        VerifyRequireClientCert = requireClientCert,
    };

    /// <summary>Writes <paramref name="certificate"/> as PEM to <paramref name="certPath"/>, and its key (PKCS#8) to <paramref name="keyPath"/> when given: files for <c>ca_file</c>, <c>cert_file</c>, <c>key_file</c>.</summary>
    public static void WritePem(X509Certificate2 certificate, string certPath, string? keyPath = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        if (keyPath is not null)
        {
            using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("The certificate has no private key", nameof(certificate));
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }
    }

    private static X509Certificate2 MakeCa(string subject, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-60), now.AddYears(1));
    }

    private static X509Certificate2 Issue(
        X509Certificate2 ca, string subject, string[] dnsNames, IPAddress[] addresses, DateTimeOffset from, DateTimeOffset to, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (dnsNames.Length > 0 || addresses.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                names.AddDnsName(name);
            }

            foreach (var address in addresses)
            {
                names.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, from, to, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
