using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>
/// The function's ILambdaContext for one invocation. Members are dispatched by getter name; a member this runtime
/// does not know (from a newer interface) returns null, or the default of a value type.
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives the proxy class from this type at run time: it cannot be sealed.
internal class ContextProxy : DispatchProxy
#pragma warning restore CA1852
{
    private ContextFactory _factory = null!;
    private Invocation _invocation = null!;
    private object? _clientContext;
    private object? _identity;
    private bool _clientContextRead;
    private bool _identityRead;

    public void Initialize(ContextFactory factory, Invocation invocation)
    {
        _factory = factory;
        _invocation = invocation;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var environment = LambdaEnvironment.Current;
        switch (targetMethod?.Name)
        {
            case "get_AwsRequestId":
                return _invocation.RequestId;
            case "get_FunctionName":
                return environment.FunctionName;
            case "get_FunctionVersion":
                return environment.FunctionVersion;
            case "get_InvokedFunctionArn":
                return _invocation.InvokedFunctionArn;
            case "get_LogGroupName":
                return environment.LogGroupName;
            case "get_LogStreamName":
                return environment.LogStreamName;
            case "get_MemoryLimitInMB":
                return environment.MemoryLimitInMB;
            case "get_RemainingTime":
                return _invocation.RemainingTime;
            case "get_Logger":
                return _factory.Logger;
            case "get_TenantId":
                return _invocation.TenantId;
            case "get_TraceId":
                return _invocation.TraceId;
            case "get_ClientContext":
                if (!_clientContextRead)
                {
                    _clientContext = _factory.ClientContextFor(_invocation);
                    _clientContextRead = true;
                }

                return _clientContext;
            case "get_Identity":
                if (!_identityRead)
                {
                    _identity = _factory.IdentityFor(_invocation);
                    _identityRead = true;
                }

                return _identity;
            case "get_Serializer" when targetMethod.ReturnType.IsInstanceOfType(_factory.Serializer):
                return _factory.Serializer;
            default:
                return ValuesProxy.DefaultOf(targetMethod?.ReturnType);
        }
    }
}
