using Amazon.Lambda.Core;
using Lamina.Lambda.Shared;

namespace Lamina.Lambda;

/// <summary>The <see cref="ILambdaContext"/> of one invocation in executable mode.</summary>
internal sealed class InvocationContext : ILambdaContext
{
    private readonly Invocation _invocation;
    private readonly LambdaEnvironment _environment = LambdaEnvironment.Current;

    public InvocationContext(Invocation invocation, ILambdaLogger logger)
    {
        _invocation = invocation;
        Logger = logger;
        ClientContext = ClientContextData.Parse(invocation.ClientContextJson) is { } data ? new ClientContextView(data) : null;
        Identity = ClientContextData.ParseIdentity(invocation.CognitoIdentityJson) is { } ids ? new IdentityView(ids.IdentityId, ids.PoolId) : null;
    }

    public string AwsRequestId => _invocation.RequestId;

    public IClientContext? ClientContext { get; }

    public string FunctionName => _environment.FunctionName;

    public string FunctionVersion => _environment.FunctionVersion;

    public ICognitoIdentity? Identity { get; }

    public string? InvokedFunctionArn => _invocation.InvokedFunctionArn;

    public ILambdaLogger Logger { get; }

    public string LogGroupName => _environment.LogGroupName;

    public string LogStreamName => _environment.LogStreamName;

    public int MemoryLimitInMB => _environment.MemoryLimitInMB;

    public TimeSpan RemainingTime => _invocation.RemainingTime;

    public string? TenantId => _invocation.TenantId;

    public string? TraceId => _invocation.TraceId;

    private sealed class ClientContextView(ClientContextData data) : IClientContext, IClientApplication
    {
        public IDictionary<string, string> Environment => data.Environment;

        public IClientApplication Client => this;

        public IDictionary<string, string> Custom => data.Custom;

        public string? AppPackageName => data.AppPackageName;

        public string? AppTitle => data.AppTitle;

        public string? AppVersionCode => data.AppVersionCode;

        public string? AppVersionName => data.AppVersionName;

        public string? InstallationId => data.InstallationId;
    }

    private sealed class IdentityView(string? identityId, string? poolId) : ICognitoIdentity
    {
        public string? IdentityId => identityId;

        public string? IdentityPoolId => poolId;
    }
}
