using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EventLoop;

/// <summary>
/// AnyEvent::Handle's <c>tls_ctx</c> (the AnyEvent::TLS keys people use), mapped onto .NET's
/// own TLS: <c>verify</c>, <c>verify_peername</c>, <c>ca_file</c>, <c>ca_path</c>,
/// <c>cert_file</c>, <c>key_file</c>, <c>passwd</c>, the protocol versions and
/// <c>verify_cb</c>. Unlike AnyEvent::TLS, which verifies nothing unless asked, the chain
/// and the host name are verified unless <see cref="Verify"/> or
/// <see cref="VerifyPeername"/> is set to false.
/// </summary>
public sealed class TlsContext
{
    /// <summary><c>verify</c>: check the peer's certificate (default true). False turns every check off, the host name's too.</summary>
    public bool Verify { get; init; } = true;

    /// <summary><c>verify_peername</c>: check that the certificate names the peer name (default true). False keeps the chain check only.</summary>
    public bool VerifyPeername { get; init; } = true;

    /// <summary>
    /// <c>verify_require_client_cert</c>: on the accepting side, ask for a client certificate
    /// and refuse the handshake without one (checked against <see cref="CaFile"/> /
    /// <see cref="CaPath"/>, or the system's roots).
    /// </summary>
    public bool VerifyRequireClientCert { get; init; }

    /// <summary><c>ca_file</c>: a PEM file of one or more certificates; when set (or <see cref="CaPath"/>), these are the only trusted roots.</summary>
    public string? CaFile { get; init; }

    /// <summary><c>ca_path</c>: a folder of PEM files (<c>*.pem</c>, <c>*.crt</c>), each one or more trusted roots.</summary>
    public string? CaPath { get; init; }

    /// <summary><c>cert_file</c>: this side's certificate in PEM, optionally followed by its intermediates (and its key, when <see cref="KeyFile"/> is not set).</summary>
    public string? CertFile { get; init; }

    /// <summary><c>key_file</c>: the private key of <see cref="CertFile"/> in PEM (PKCS#8, PKCS#1 or SEC1; encrypted PKCS#8 with <see cref="Passwd"/>).</summary>
    public string? KeyFile { get; init; }

    /// <summary><c>passwd</c>: the password of an encrypted <see cref="KeyFile"/>.</summary>
    public string? Passwd { get; init; }

    /// <summary>
    /// <c>method</c> / <c>sslv3</c> / <c>tlsv1_2</c> ...: the protocol versions allowed.
    /// <see cref="SslProtocols.None"/> (the default) lets the system choose (TLS 1.2 and 1.3).
    /// </summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.None;

    /// <summary>
    /// <c>verify_cb</c>: called with the verdict of the checks above (the policy errors and the
    /// chain) and has the last word: its answer accepts or refuses the peer. Not called when
    /// <see cref="Verify"/> is false.
    /// </summary>
    public RemoteCertificateValidationCallback? VerifyCb { get; init; }

    /// <summary>
    /// Anything beyond the keys above, on the connecting side: the members set here win over
    /// those built from the keys (a <c>TargetHost</c>, client certificates, a chain policy,
    /// ALPN, a validation callback ...). Renegotiation stays refused whatever it says: it
    /// would wait inside a write on the loop thread.
    /// </summary>
    public SslClientAuthenticationOptions? Options { get; init; }

    /// <summary>
    /// On the accepting side, a certificate with its private key to present instead of
    /// <see cref="CertFile"/> / <see cref="KeyFile"/> (the test kit's in-memory certificates, say).
    /// </summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>
    /// On the connecting side, a client certificate with its private key to present instead
    /// of <see cref="CertFile"/> / <see cref="KeyFile"/>.
    /// </summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Trusted roots given as certificates rather than files (beside <see cref="CaFile"/> and <see cref="CaPath"/>).</summary>
    public X509Certificate2Collection? CaCertificates { get; init; }
}
