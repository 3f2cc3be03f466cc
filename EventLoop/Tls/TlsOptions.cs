using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EventLoop;

/// <summary>
/// Turns a <see cref="TlsContext"/> (AnyEvent::TLS's keys) into SslStream's options. What
/// it loads from files goes into the connection's <see cref="LoadedCertificates"/>, which
/// the connection disposes when it ends.
/// </summary>
internal static class TlsOptions
{
    /// <summary>The connecting side's options: the context's keys, then whatever <see cref="TlsContext.Options"/> sets.</summary>
    public static SslClientAuthenticationOptions Client(TlsContext context, string peername, TlsVerifier verifier, LoadedCertificates loaded)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = peername,
            EnabledSslProtocols = context.Protocols,
            RemoteCertificateValidationCallback = verifier.Validate,
            CertificateChainPolicy = ChainPolicy(context, loaded),

            // A renegotiation the server starts would make SslStream's next synchronous
            // write wait for the handshake under way, on the loop thread that must feed it.
            AllowRenegotiation = false,
        };
        if (context.ClientCertificate is { } given)
        {
            options.ClientCertificateContext = SslStreamCertificateContext.Create(given, null, offline: true);
        }
        else if (LoadCertificate(context, loaded) is { } certificate)
        {
            options.ClientCertificateContext = SslStreamCertificateContext.Create(certificate, Intermediates(context, loaded), offline: true);
        }

        if (context.Options is { } overrides)
        {
            Overlay(options, overrides, verifier);
        }

        return options;
    }

    /// <summary>The accepting side's options (AnyEvent::Handle's <c>tls =&gt; 'accept'</c>).</summary>
    public static SslServerAuthenticationOptions Server(TlsContext context, TlsVerifier verifier, LoadedCertificates loaded)
    {
        var certificateContext = context.ServerCertificate is { } given
            ? SslStreamCertificateContext.Create(given, null, offline: true)
            : SslStreamCertificateContext.Create(
                LoadCertificate(context, loaded) ?? throw new ArgumentException(LoopErrors.TlsAcceptNeedsCertificate()),
                Intermediates(context, loaded),
                offline: true);
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificateContext,
            EnabledSslProtocols = context.Protocols,
            ClientCertificateRequired = context.VerifyRequireClientCert,
            RemoteCertificateValidationCallback = verifier.Validate,
            CertificateChainPolicy = ChainPolicy(context, loaded),
        };
    }

    /// <summary>
    /// With <see cref="TlsContext.CaFile"/>, <see cref="TlsContext.CaPath"/> or
    /// <see cref="TlsContext.CaCertificates"/>, those roots and no others (<c>ca_file</c> as a
    /// custom root trust); without, the system's roots. Either way nothing is downloaded: the
    /// chain is built inside the handshake, on the loop thread, where an HTTP fetch of a
    /// missing intermediate (AIA) or of revocation data would stop the loop for as long as
    /// the fetch takes. OpenSSL under AnyEvent::TLS never fetches either.
    /// </summary>
    private static X509ChainPolicy ChainPolicy(TlsContext context, LoadedCertificates loaded)
    {
        var roots = new X509Certificate2Collection();
        if (context.CaCertificates is { } given)
        {
            roots.AddRange(given);
        }

        if (context.CaFile is { } file)
        {
            roots.AddRange(loaded.ImportPemFile(file));
        }

        if (context.CaPath is { } folder)
        {
            foreach (var path in Directory.EnumerateFiles(folder).Where(IsPem).Order(StringComparer.Ordinal))
            {
                roots.AddRange(loaded.ImportPemFile(path));
            }
        }

        if (context.CaFile is not null || context.CaPath is not null || context.CaCertificates is not null)
        {
            if (roots.Count == 0)
            {
                throw new ArgumentException(LoopErrors.TlsNoRoots(context.CaFile, context.CaPath));
            }

            var policy = OfflinePolicy();
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(roots);
            return policy;
        }

        return OfflinePolicy();
    }

    private static X509ChainPolicy OfflinePolicy() => new()
    {
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
    };

    private static bool IsPem(string path) =>
        path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase);

    private static X509Certificate2? LoadCertificate(TlsContext context, LoadedCertificates loaded)
    {
        if (context.CertFile is not { } certFile)
        {
            return context.KeyFile is null ? null : throw new ArgumentException(LoopErrors.TlsKeyWithoutCertificate());
        }

        return loaded.Add(context.Passwd is { } passwd
            ? X509Certificate2.CreateFromEncryptedPemFile(certFile, passwd, context.KeyFile)
            : X509Certificate2.CreateFromPemFile(certFile, context.KeyFile));
    }

    /// <summary>The certificates after the first in <c>cert_file</c>: the chain to send with it.</summary>
    private static X509Certificate2Collection? Intermediates(TlsContext context, LoadedCertificates loaded)
    {
        if (context.CertFile is not { } certFile)
        {
            return null;
        }

        // All of them loaded, the leaf again too (LoadCertificate made it with its key): all disposed.
        var all = loaded.ImportPemFile(certFile);
        if (all.Count <= 1)
        {
            return null;
        }

        all.RemoveAt(0);
        return all;
    }

    private static void Overlay(SslClientAuthenticationOptions options, SslClientAuthenticationOptions given, TlsVerifier verifier)
    {
        if (!string.IsNullOrEmpty(given.TargetHost))
        {
            options.TargetHost = given.TargetHost;
            verifier.Peername = given.TargetHost;
        }

        if (given.ClientCertificates is { } certificates)
        {
            options.ClientCertificates = certificates;
            options.ClientCertificateContext = null;
        }

        if (given.ClientCertificateContext is { } certificateContext)
        {
            options.ClientCertificateContext = certificateContext;
        }

        if (given.EnabledSslProtocols != System.Security.Authentication.SslProtocols.None)
        {
            options.EnabledSslProtocols = given.EnabledSslProtocols;
        }

        if (given.CertificateChainPolicy is { } policy)
        {
            options.CertificateChainPolicy = policy;
        }

        if (given.RemoteCertificateValidationCallback is { } validate)
        {
            options.RemoteCertificateValidationCallback = validate;
        }

        if (given.LocalCertificateSelectionCallback is { } select)
        {
            options.LocalCertificateSelectionCallback = select;
        }

        if (given.ApplicationProtocols is { } alpn)
        {
            options.ApplicationProtocols = alpn;
        }

        if (given.CertificateRevocationCheckMode != X509RevocationMode.NoCheck)
        {
            // A chain policy supersedes the mode on the options: the policy built from the
            // keys carries it unless Options gave a policy of its own.
            options.CertificateRevocationCheckMode = given.CertificateRevocationCheckMode;
            if (given.CertificateChainPolicy is null && options.CertificateChainPolicy is { } built)
            {
                built.RevocationMode = given.CertificateRevocationCheckMode;
            }
        }

        options.AllowTlsResume = given.AllowTlsResume;
    }
}
