using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Lamina.Hosting;

/// <summary>The certificate an https listener serves, and what clients need to trust it.</summary>
/// <param name="CaBundle">The generated CA's certificate file (null for an operator's certificate, which clients trust already).</param>
/// <param name="Fingerprint">SHA-256 of the served certificate, colon-separated hex (as <c>openssl x509 -fingerprint -sha256</c> prints it).</param>
internal sealed record TlsSetup(X509Certificate2 Certificate, string? CaBundle, string Fingerprint);

/// <summary>
/// Loads the operator's PEM certificate and key, or generates a private CA and a server certificate it signs
/// into <c>DATA/tls</c> on first start and reuses them after.
/// </summary>
/// <remarks>
/// A CA rather than one self-signed certificate: clients (botocore's <c>ca_bundle</c>, Node's
/// <c>NODE_EXTRA_CA_CERTS</c>) trust the CA, so the server certificate can be re-issued (a new listen host,
/// near expiry) without anyone re-trusting anything. The server certificate covers localhost, 127.0.0.1, ::1
/// and the listen host, lives 397 days (the CA/Browser Forum's maximum) and is re-issued within 30 days of its
/// end. ECDSA P-256 keys; every file is owner-only.
/// </remarks>
internal static class TlsCertificates
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public static TlsSetup Load(DataDirectory data, string? certificateFile, string? keyFile, string listenHost, TimeProvider time)
    {
        if (certificateFile is not null || keyFile is not null)
        {
            if (certificateFile is null || keyFile is null)
            {
                throw new ArgumentException("--tls-cert and --tls-key go together: pass both PEM files, or neither to use a generated certificate.");
            }

            var operatorCertificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            return new TlsSetup(operatorCertificate, null, Fingerprint(operatorCertificate));
        }

        Directory.CreateDirectory(data.Tls, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(data.Tls, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var now = time.GetUtcNow();
        var caKey = Path.Combine(data.Tls, "ca.key");
        var serverPem = Path.Combine(data.Tls, "server.pem");
        var serverKey = Path.Combine(data.Tls, "server.key");
        var ca = File.Exists(data.CaCertificate) && File.Exists(caKey) ? X509Certificate2.CreateFromPemFile(data.CaCertificate, caKey) : null;
        if (ca is null || ca.NotAfter.ToUniversalTime() - now.UtcDateTime < RenewBefore)
        {
            ca = CreateCa(now);
            DataDirectory.WriteOwnerOnly(caKey, ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            DataDirectory.WriteOwnerOnly(data.CaCertificate, ca.ExportCertificatePem() + "\n");
            File.Delete(serverPem);
        }

        var names = HostNames(listenHost);
        var server = File.Exists(serverPem) && File.Exists(serverKey) ? X509Certificate2.CreateFromPemFile(serverPem, serverKey) : null;
        if (server is null || !Fits(server, ca, names, now))
        {
            server = CreateServer(ca, names, now);
            DataDirectory.WriteOwnerOnly(serverKey, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            DataDirectory.WriteOwnerOnly(serverPem, server.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n");
            server = X509Certificate2.CreateFromPemFile(serverPem, serverKey);
        }

        return new TlsSetup(server, data.CaCertificate, Fingerprint(server));
    }

    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(pair => new string(pair)));

    /// <summary>localhost, the loopback addresses and the listen host (a wildcard bind adds the machine's name instead).</summary>
    private static (List<string> Dns, List<IPAddress> Ips) HostNames(string listenHost)
    {
        var dns = new List<string> { "localhost" };
        var ips = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        var host = listenHost.Trim('[', ']');
        if (IPAddress.TryParse(host, out var ip))
        {
            if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            {
                dns.Add(Dns.GetHostName());
            }
            else if (!ips.Contains(ip))
            {
                ips.Add(ip);
            }
        }
        else if (!dns.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            dns.Add(host);
        }

        return (dns, ips);
    }

    private static bool Fits(X509Certificate2 server, X509Certificate2 ca, (List<string> Dns, List<IPAddress> Ips) names, DateTimeOffset now)
    {
        if (server.NotAfter.ToUniversalTime() - now.UtcDateTime < RenewBefore || !server.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData))
        {
            return false;
        }

        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return san is not null
               && names.Dns.All(d => san.EnumerateDnsNames().Contains(d, StringComparer.OrdinalIgnoreCase))
               && names.Ips.All(i => san.EnumerateIPAddresses().Contains(i));
    }

    private static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Lamina local CA ({Dns.GetHostName()}), O=Lamina", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
    }

    private static X509Certificate2 CreateServer(X509Certificate2 ca, (List<string> Dns, List<IPAddress> Ips) names, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names.Dns[^1]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names.Dns.ForEach(san.AddDnsName);
        names.Ips.ForEach(san.AddIpAddress);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var notAfter = now.AddDays(397) < ca.NotAfter ? now.AddDays(397) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
