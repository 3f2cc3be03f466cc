using System.Security.Authentication;

namespace Stomper.Hosting;

/// <summary>
/// TLS to the broker (<c>tls =&gt; 'connect'</c>, <c>tls_ctx</c>, <c>peername</c>) as
/// configuration: <c>"Tls": { "CaFile": "/etc/stomp/ca.pem" }</c>. The chain and the host
/// name are verified unless <see cref="Verify"/> or <see cref="VerifyPeername"/> says
/// otherwise, as with <see cref="EventLoop.TlsContext"/>.
/// </summary>
public sealed class StomperTlsSettings
{
    /// <summary>TLS on (default true once a <c>Tls</c> section exists); false keeps the section but talks plain TCP.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>verify</c>: check the broker's certificate (default true).</summary>
    public bool Verify { get; set; } = true;

    /// <summary><c>verify_peername</c>: check that the certificate names <see cref="PeerName"/> (default true).</summary>
    public bool VerifyPeername { get; set; } = true;

    /// <summary><c>peername</c>: the name checked in the certificate and sent as SNI; none: the host connected to.</summary>
    public string? PeerName { get; set; }

    /// <summary><c>ca_file</c>: PEM file of the only trusted roots.</summary>
    public string? CaFile { get; set; }

    /// <summary><c>ca_path</c>: folder of PEM files of trusted roots.</summary>
    public string? CaPath { get; set; }

    /// <summary><c>cert_file</c>: the client certificate (PEM).</summary>
    public string? CertFile { get; set; }

    /// <summary><c>key_file</c>: its private key (PEM); needs <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary><c>passwd</c>: the password of an encrypted <see cref="KeyFile"/>; never shown in an error.</summary>
    public string? KeyPassword { get; set; }

    /// <summary>The protocol versions allowed, as <see cref="SslProtocols"/> names (<c>"Tls12, Tls13"</c>); none: the system's choice.</summary>
    public SslProtocols Protocols { get; set; } = SslProtocols.None;
}
