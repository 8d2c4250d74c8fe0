using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lamina.Hosting;
using Lamina.Sandboxes;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Api;

/// <summary>The https listener: the generated CA and server certificate, an operator's certificate, and the Runtime API port's side door.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task GeneratedCertificate_OwnerOnly_ReusedOnRestart_RuntimePortRefusesOutsideCallers()
    {
        var dir = TempDirs.Create("lamina-tls");
        var options = new ServeOptions { DataDir = dir, Listen = "https://127.0.0.1:0", Region = "us-east-1" };
        try
        {
            string fingerprint;
            await using (var server = await LaminaServer.StartAsync(options, CancellationToken.None))
            {
                Assert.StartsWith("https://127.0.0.1:", server.Endpoint, StringComparison.Ordinal);
                var tls = server.Tls!;
                fingerprint = tls.Fingerprint;
                Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint);
                Assert.Equal(Path.Combine(dir, "tls", "ca.pem"), tls.CaBundle);
                Assert.Contains($"ca_bundle = {tls.CaBundle}", await File.ReadAllTextAsync(server.Data.Config), StringComparison.Ordinal);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(dir, "tls")));
                foreach (var file in Directory.EnumerateFiles(Path.Combine(dir, "tls")))
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                }

                var san = tls.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
                Assert.Contains("localhost", san.EnumerateDnsNames());
                Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());

                using (var trusting = new HttpClient(TlsLaminaFixture.TrustingOnly(tls.CaBundle!)))
                {
                    Assert.Equal(HttpStatusCode.OK, (await trusting.GetAsync(server.Endpoint + "/health")).StatusCode);
                }

                using (var systemRoots = new HttpClient())
                {
                    await Assert.ThrowsAsync<HttpRequestException>(() => systemRoots.GetAsync(server.Endpoint + "/health"));
                }

                await RuntimePortRefusesOutsideCallersAsync(server);
            }

            await using (var again = await LaminaServer.StartAsync(options with { WriteClientFiles = false }, CancellationToken.None))
            {
                Assert.Equal(fingerprint, again.Tls!.Fingerprint);
            }
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    /// <summary>The Runtime API port also carries the API for sandboxes; from an outside address it refuses, over loopback it serves.</summary>
    private static async Task RuntimePortRefusesOutsideCallersAsync(LaminaServer server)
    {
        var port = server.Services.GetRequiredService<RuntimeApiRegistry>().Port;
        using (var loopback = new AwsClient(new Uri($"http://127.0.0.1:{port}"), server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey,
                   "us-east-1"))
        {
            Assert.Equal(200, (await loopback.GetAsync("/2015-03-31/functions")).Status);
        }

        var outside = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (outside is null)
        {
            return;
        }

        using var remote = new AwsClient(new Uri($"http://{outside}:{port}"), server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, "us-east-1");
        var refused = await remote.GetAsync("/2015-03-31/functions");
        Assert.True(refused.Status == 403, refused.ToString());
        Assert.Equal("AccessDeniedException", refused.ErrorType);
    }

    [Fact]
    public async Task OperatorCertificate_ServedAsGiven_NoCaBundleWritten()
    {
        var dir = TempDirs.Create("lamina-tls-own");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=lamina.test", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
            var certFile = Path.Combine(dir, "cert.pem");
            var keyFile = Path.Combine(dir, "key.pem");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

            var options = new ServeOptions
            {
                DataDir = Path.Combine(dir, "data"),
                Listen = "https://127.0.0.1:0",
                Region = "us-east-1",
                TlsCertificate = certFile,
                TlsKey = keyFile,
            };
            await using var server = await LaminaServer.StartAsync(options, CancellationToken.None);
            Assert.Equal(TlsCertificates.Fingerprint(certificate), server.Tls!.Fingerprint);
            Assert.Null(server.Tls.CaBundle);
            Assert.DoesNotContain("ca_bundle", await File.ReadAllTextAsync(server.Data.Config), StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(options.DataDir, "tls")));

            // Trust exactly the operator's certificate: the request succeeds only if it is the one served.
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
                cert is not null && X509CertificateLoader.LoadCertificate(cert.GetRawCertData()).Thumbprint == certificate.Thumbprint;
            using var http = new HttpClient(handler);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(server.Endpoint + "/health")).StatusCode);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }
}
