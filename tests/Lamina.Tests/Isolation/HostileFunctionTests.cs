using Lamina.Tests.Support;

namespace Lamina.Tests.Isolation;

/// <summary>The hostile-function battery against the default tier, bubblewrap.</summary>
public sealed class HostileFunctionTests(LaminaFixture fixture) : HostileFunctionBattery(fixture), IClassFixture<LaminaFixture>;
