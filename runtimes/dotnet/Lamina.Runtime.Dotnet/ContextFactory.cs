using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>
/// Creates the handler's ILambdaContext for each invocation as a <see cref="DispatchProxy"/> of the function's own
/// interface type, so any Amazon.Lambda.Core (AWS's or Lamina's, any version) works without a compile-time reference.
/// The logger, IClientContext, IClientApplication and ICognitoIdentity types are the context's property types.
/// </summary>
internal sealed class ContextFactory
{
    private readonly Type _contextType;
    private readonly Type? _clientContextType;
    private readonly Type? _clientApplicationType;
    private readonly Type? _identityType;
    private readonly object? _logger;
    private readonly object? _serializer;

    public ContextFactory(Type contextType, object? serializer, LogSink sink)
    {
        _contextType = contextType;
        _serializer = serializer;
        RequireProperty(contextType, "AwsRequestId", typeof(string).FullName!);
        RequireProperty(contextType, "FunctionName", typeof(string).FullName!);
        RequireProperty(contextType, "MemoryLimitInMB", typeof(int).FullName!);
        RequireProperty(contextType, "RemainingTime", typeof(TimeSpan).FullName!);
        _clientContextType = RequireProperty(contextType, "ClientContext", TypeNames.IClientContext);
        _clientApplicationType = _clientContextType.GetProperty("Client")?.PropertyType;
        _identityType = RequireProperty(contextType, "Identity", TypeNames.ICognitoIdentity);
        var loggerType = RequireProperty(contextType, "Logger", TypeNames.ILambdaLogger);
        if (loggerType.GetMethod("Log", [typeof(string)]) is null)
        {
            throw Errors.Validation(Errors.TypeMissingLogMethod, loggerType.FullName);
        }

        var logger = DispatchProxy.Create(loggerType, typeof(LoggerProxy));
        ((LoggerProxy)logger).Sink = sink;
        _logger = logger;
    }

    public object Create(Invocation invocation)
    {
        var context = DispatchProxy.Create(_contextType, typeof(ContextProxy));
        ((ContextProxy)context).Initialize(this, invocation);
        return context;
    }

    internal object? Logger => _logger;

    internal object? Serializer => _serializer;

    internal object? ClientContextFor(Invocation invocation)
    {
        if (_clientContextType is null || ClientContextData.Parse(invocation.ClientContextJson) is not { } data)
        {
            return null;
        }

        object? client = null;
        if (_clientApplicationType is not null)
        {
            client = ValuesProxy.Create(_clientApplicationType, new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["get_AppPackageName"] = data.AppPackageName,
                ["get_AppTitle"] = data.AppTitle,
                ["get_AppVersionCode"] = data.AppVersionCode,
                ["get_AppVersionName"] = data.AppVersionName,
                ["get_InstallationId"] = data.InstallationId,
            });
        }

        return ValuesProxy.Create(_clientContextType, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["get_Environment"] = data.Environment,
            ["get_Custom"] = data.Custom,
            ["get_Client"] = client,
        });
    }

    internal object? IdentityFor(Invocation invocation)
    {
        if (_identityType is null || ClientContextData.ParseIdentity(invocation.CognitoIdentityJson) is not { } ids)
        {
            return null;
        }

        return ValuesProxy.Create(_identityType, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["get_IdentityId"] = ids.IdentityId,
            ["get_IdentityPoolId"] = ids.PoolId,
        });
    }

    /// <summary>The property's type, checked by full name as AWS's runtime validates the context interface.</summary>
    private static Type RequireProperty(Type type, string name, string typeName)
    {
        var property = type.GetProperty(name);
        if (property is null || property.PropertyType.FullName != typeName || !property.CanRead)
        {
            throw Errors.Validation(Errors.TypeMissingExpectedProperty, type.FullName, name, typeName);
        }

        return property.PropertyType;
    }
}
