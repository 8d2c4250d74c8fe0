using Lamina.Hosting;

namespace Lamina.Tests.Support;

/// <summary>
/// A <see cref="LaminaFixture"/> whose environments run under gVisor (<c>--sandbox gvisor</c>). Without a working
/// runsc the server refuses to start, so every test using it fails: CI installs runsc (see <c>./test</c>).
/// </summary>
public sealed class GvisorLaminaFixture : LaminaFixture
{
    private protected override ServeOptions Configure(ServeOptions options) =>
        options with { Isolation = options.Isolation with { Sandbox = Lamina.Sandboxes.SandboxTier.Gvisor } };

    internal Lamina.Sandboxes.Gvisor Gvisor =>
        ((Lamina.Sandboxes.Isolation)Server.Services.GetService(typeof(Lamina.Sandboxes.Isolation))!).Gvisor ?? throw new InvalidOperationException("The server runs no gVisor tier.");
}
