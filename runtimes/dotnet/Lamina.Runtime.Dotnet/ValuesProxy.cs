using System.Reflection;

namespace Lamina.Runtime.Dotnet;

/// <summary>An interface of read-only properties (IClientContext, IClientApplication, ICognitoIdentity) over fixed values.</summary>
#pragma warning disable CA1852 // DispatchProxy derives the proxy class from this type at run time: it cannot be sealed.
internal class ValuesProxy : DispatchProxy
#pragma warning restore CA1852
{
    private Dictionary<string, object?> _values = [];

    public static object Create(Type interfaceType, Dictionary<string, object?> values)
    {
        var proxy = DispatchProxy.Create(interfaceType, typeof(ValuesProxy));
        ((ValuesProxy)proxy)._values = values;
        return proxy;
    }

    public static object? DefaultOf(Type? type) =>
        type is null || !type.IsValueType || type == typeof(void) ? null : Activator.CreateInstance(type);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod is not null && _values.TryGetValue(targetMethod.Name, out var value) && (value is null || targetMethod.ReturnType.IsInstanceOfType(value))
            ? value
            : DefaultOf(targetMethod?.ReturnType);
}
