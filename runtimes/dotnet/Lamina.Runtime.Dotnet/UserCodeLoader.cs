using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>Turns the handler string into something that can be invoked, with AWS's .NET runtime's rules and errors.</summary>
/// <remarks>
/// (1) Parse <c>Assembly::Type::Method</c>. (2) Watch assembly loads so Amazon.Lambda.Core's <c>LambdaLogger</c> is
/// redirected whenever it arrives. (3) Load the assembly by name into the default context, where the function's
/// deps.json resolves it and its dependencies. (4) Find the type, then the method by name (declared only, any
/// visibility, static or instance, walking base types) or else by full signature. (5) Reject abstract, generic,
/// <c>async void</c>, <c>params</c> and varargs methods, and generic or abstract types. (6) Run the static
/// constructor, or create the single instance with the default constructor. (7) Create the serializer named by
/// <c>[LambdaSerializer]</c> on the method, else on the assembly. (8) Compile the invoke delegate.
/// </remarks>
internal static class UserCodeLoader
{
    private const BindingFlags DeclaredMembers =
        BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    public static HandlerInvoker Load(string handlerText, LogSink sink)
    {
        var handler = HandlerString.Parse(handlerText);
        LambdaLoggerRedirect.Install(sink);

        Assembly assembly;
        try
        {
            assembly = AssemblyLoadContext.Default.LoadFromAssemblyName(handler.Assembly);
        }
        catch (FileNotFoundException e)
        {
            throw Errors.Validation(Errors.CouldNotFindHandlerAssembly, e.FileName);
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException)
        {
            throw Errors.Validation(Errors.UnableToLoadAssembly, handler.Assembly);
        }

        var type = assembly.GetType(handler.Type)
            ?? throw Errors.Validation(Errors.UnableToLoadType, handler.Type, handler.Assembly);
        var method = FindMethod(type, handler)
            ?? throw Errors.Validation(Errors.NoMatchingMethod, handler.Method, handler.Type, handler.Assembly, handler.Method);
        ValidateMethod(method);
        ValidateType(type, method);

        object? instance = null;
        if (method.IsStatic)
        {
            // Static state is initialised during init, not on the first invocation.
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }
        else
        {
            instance = Activator.CreateInstance(type, nonPublic: true);
        }

        var serializer = CreateSerializer(method, assembly);
        return InvokerBuilder.Build(handler, method, instance, serializer, sink);
    }

    private static MethodInfo? FindMethod(Type type, HandlerString handler)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            try
            {
                if (current.GetMethod(handler.Method, DeclaredMembers) is { } byName)
                {
                    return byName;
                }
            }
            catch (AmbiguousMatchException)
            {
                throw Overloads(current, handler);
            }
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            var matches = current.GetMethods(DeclaredMembers).Where(m => string.Equals(m.ToString(), handler.Method, StringComparison.Ordinal)).ToList();
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw Overloads(current, handler);
            }
        }

        return null;
    }

    private static LambdaValidationException Overloads(Type type, HandlerString handler)
    {
        var candidates = type.GetMethods(DeclaredMembers)
            .Where(m => m.Name == handler.Method || m.ToString() == handler.Method)
            .Select(m => m.ToString());
        return Errors.Validation(Errors.MethodHasOverloads, handler.Method, type.FullName, string.Join("\n", candidates));
    }

    private static void ValidateMethod(MethodInfo method)
    {
        if (method.IsAbstract)
        {
            throw Errors.Validation(Errors.HandlerMethodAbstract, method);
        }

        if (method.IsGenericMethod)
        {
            throw Errors.Validation(Errors.HandlerMethodGeneric, method);
        }

        if (method.ReturnType == typeof(void) && method.GetCustomAttribute<AsyncStateMachineAttribute>() is not null)
        {
            throw Errors.Validation(Errors.HandlerMethodAsyncVoid, method);
        }

        var parameters = method.GetParameters();
        if (parameters.Length > 0 && parameters[^1].GetCustomAttribute<ParamArrayAttribute>() is not null)
        {
            throw Errors.Validation(Errors.HandlerMethodParams, method);
        }

        if ((method.CallingConvention & CallingConventions.VarArgs) == CallingConventions.VarArgs)
        {
            throw Errors.Validation(Errors.HandlerMethodVararg, method);
        }
    }

    private static void ValidateType(Type type, MethodInfo method)
    {
        if (type.IsGenericType)
        {
            throw Errors.Validation(Errors.HandlerTypeGeneric, type.FullName);
        }

        if (!method.IsStatic && type.IsAbstract)
        {
            throw Errors.Validation(Errors.HandlerTypeAbstract, method, type.FullName);
        }

        var isStruct = type.IsValueType && !type.IsPrimitive && !type.IsEnum;
        if (!type.IsClass && !isStruct)
        {
            throw Errors.Validation(Errors.HandlerNotClassOrStruct, type.FullName);
        }
    }

    /// <summary>The serializer of <c>[LambdaSerializer(typeof(X))]</c> (method first, then assembly), found by name; null without one.</summary>
    private static object? CreateSerializer(MethodInfo method, Assembly assembly)
    {
        var attribute = method.GetCustomAttributes().SingleOrDefault(IsSerializerAttribute)
            ?? assembly.GetCustomAttributes().SingleOrDefault(IsSerializerAttribute);
        if (attribute is null)
        {
            return null;
        }

        var attributeType = attribute.GetType();
        var property = attributeType.GetProperty("SerializerType")
            ?? throw Errors.Validation(Errors.InvalidClassNoSerializerType, attributeType.FullName);
        if (!typeof(Type).IsAssignableFrom(property.PropertyType))
        {
            throw Errors.Validation(Errors.InvalidClassSerializerTypeWrongType, attributeType.FullName, typeof(Type).FullName);
        }

        var serializerType = property.GetValue(attribute) as Type
            ?? throw Errors.Validation(Errors.SerializerTypeNotSet, attributeType.FullName);
        var constructor = serializerType.GetConstructor(Type.EmptyTypes)
            ?? throw Errors.Validation(Errors.SerializerMissingConstructor, serializerType.FullName);
        if (serializerType.GetInterface(TypeNames.ILambdaSerializer) is null)
        {
            throw Errors.Validation(Errors.InvalidClassNoILambdaSerializer, serializerType.FullName);
        }

        return constructor.Invoke(null);
    }

    private static bool IsSerializerAttribute(Attribute attribute) => attribute.GetType().FullName == TypeNames.LambdaSerializerAttribute;
}
