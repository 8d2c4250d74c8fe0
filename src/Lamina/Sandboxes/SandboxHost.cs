using Lamina.Core.Iam;
using Lamina.Core.Invoke;
using Lamina.Core.Logs;

namespace Lamina.Sandboxes;

/// <summary>The services every sandbox environment uses, bundled to keep constructors short.</summary>
internal sealed class SandboxHost(
    SandboxLauncher launcher,
    RuntimeApiRegistry registry,
    CodeCache code,
    RuntimeLayouts layouts,
    Isolation isolation,
    WorkDirectory work,
    ILogSink logs,
    ExecutionRoles roles,
    SandboxOptions options,
    InvokeOptions invokeOptions,
    TimeProvider time,
    ILoggerFactory loggerFactory)
{
    public SandboxLauncher Launcher => launcher;
    public RuntimeApiRegistry Registry => registry;
    public CodeCache Code => code;
    public RuntimeLayouts Layouts => layouts;
    public Isolation Isolation => isolation;
    public CgroupRoot? Cgroups => isolation.Cgroups;
    public WorkDirectory Work => work;
    public ILogSink Logs => logs;
    public ExecutionRoles Roles => roles;
    public SandboxOptions Options => options;
    public InvokeOptions InvokeOptions => invokeOptions;
    public TimeProvider Time => time;
    public ILogger Logger { get; } = loggerFactory.CreateLogger("Lamina.Sandboxes");
}

/// <summary>Creates <see cref="SandboxEnvironment"/>s.</summary>
internal sealed class SandboxEnvironmentFactory(SandboxHost host) : IEnvironmentFactory
{
    public IExecutionEnvironment Create(EnvironmentSpec spec, string initializationType) => new SandboxEnvironment(spec, initializationType, host);
}
