using Lamina.Tests.Support;

namespace Lamina.Tests.Isolation;

/// <summary>The hostile-function battery against the gVisor tier (<c>--sandbox gvisor</c>).</summary>
public sealed class GvisorHostileFunctionTests(GvisorLaminaFixture fixture) : HostileFunctionBattery(fixture), IClassFixture<GvisorLaminaFixture>
{
    protected override bool UnderGvisor => true;
}
