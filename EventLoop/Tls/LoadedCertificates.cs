using System.Security.Cryptography.X509Certificates;

namespace EventLoop;

/// <summary>
/// The certificates one connection loaded from <see cref="TlsContext"/>'s files
/// (<c>cert_file</c> and the chain after it, <c>ca_file</c>, <c>ca_path</c>). Each holds
/// native handles (an OpenSSL <c>X509</c>, a private key) that nothing but a dispose
/// releases soon, so the transport that loaded them disposes them when it ends. Loading per
/// connection is what AnyEvent::Handle does (a fresh AnyEvent::TLS per handle), so a
/// certificate renewed on disk is picked up by the next connect. Certificates the caller gave
/// as objects (<see cref="TlsContext.ClientCertificate"/>, <see cref="TlsContext.CaCertificates"/> ...)
/// stay the caller's and are never added here.
/// </summary>
internal sealed class LoadedCertificates : IDisposable
{
    private readonly List<X509Certificate2> _loaded = [];
    private bool _disposed;

    /// <summary>Everything loaded so far, disposed or not (for tests that check the release).</summary>
    public IReadOnlyList<X509Certificate2> All => _loaded;

    /// <summary>Takes <paramref name="certificate"/> to dispose with the rest; returns it.</summary>
    public X509Certificate2 Add(X509Certificate2 certificate)
    {
        _loaded.Add(certificate);
        if (_disposed)
        {
            // Loaded by a connect that was abandoned meanwhile: nobody will use it.
            certificate.Dispose();
        }

        return certificate;
    }

    /// <summary>Every certificate of the PEM file at <paramref name="path"/>, taken to dispose with the rest.</summary>
    public X509Certificate2Collection ImportPemFile(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        foreach (var certificate in certificates)
        {
            Add(certificate);
        }

        return certificates;
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var certificate in _loaded)
        {
            certificate.Dispose();
        }
    }
}
