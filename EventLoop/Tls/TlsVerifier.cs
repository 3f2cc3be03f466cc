using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EventLoop;

/// <summary>
/// The certificate check of one handshake: applies <see cref="TlsContext.Verify"/>,
/// <see cref="TlsContext.VerifyPeername"/> and <see cref="TlsContext.VerifyCb"/> to .NET's
/// verdict, and when it refuses, keeps the reason, because SslStream's own exception only
/// says that a callback refused.
/// </summary>
internal sealed class TlsVerifier
{
    private readonly TlsContext _context;
    private readonly bool _clientCertOptional;

    public TlsVerifier(TlsContext context, string peername, bool clientCertOptional)
    {
        _context = context;
        Peername = peername;
        _clientCertOptional = clientCertOptional;
    }

    /// <summary>The name the certificate must carry, as the error will name it (a <c>TargetHost</c> in <see cref="TlsContext.Options"/> replaces it).</summary>
    public string Peername { get; set; }

    /// <summary>Why the peer's certificate was refused; null while it was not.</summary>
    public string? Rejection { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!_context.Verify)
        {
            return true;
        }

        if (!_context.VerifyPeername)
        {
            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }

        if (_clientCertOptional && certificate is null)
        {
            errors &= ~SslPolicyErrors.RemoteCertificateNotAvailable;
        }

        var accepted = _context.VerifyCb is { } verifyCb
            ? verifyCb(sender, certificate, chain, errors)
            : errors == SslPolicyErrors.None;
        if (!accepted)
        {
            Rejection = LoopErrors.TlsCertificateRejected(errors, certificate, chain, Peername, _context.VerifyCb is not null);
        }

        return accepted;
    }
}
