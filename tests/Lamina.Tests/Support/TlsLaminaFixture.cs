using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Lamina.Hosting;

namespace Lamina.Tests.Support;

/// <summary>A <see cref="LaminaFixture"/> serving the API over https with the certificate it generates on first start.</summary>
public sealed class TlsLaminaFixture : LaminaFixture
{
    public string CaBundle => Path.Combine(DataDir, "tls", "ca.pem");

    private protected override ServeOptions Configure(ServeOptions options) => options with { Listen = "https://127.0.0.1:0" };

    private protected override HttpMessageHandler? CreateHandler() => TrustingOnly(CaBundle);

    /// <summary>A handler that accepts exactly the certificates <paramref name="caBundle"/> issued (not the system roots).</summary>
    public static HttpMessageHandler TrustingOnly(string caBundle)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(caBundle);
        var ca = bundle[0];
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
    }
}
