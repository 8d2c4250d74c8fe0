using System.Linq.Expressions;
using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>
/// Compiles the call to the handler once, at init, into <c>(input, context, output) =&gt; Task</c>: no reflection
/// per invocation. Supported shapes are <c>()</c>, <c>(TIn)</c>, <c>(ILambdaContext)</c> and
/// <c>(TIn, ILambdaContext)</c>, returning <c>void</c>, <c>T</c>, <c>Task</c> or <c>Task&lt;T&gt;</c> (ValueTask too).
/// A <see cref="Stream"/> input or output is passed through; any other type goes through the serializer's
/// <c>Deserialize&lt;T&gt;(Stream)</c> / <c>Serialize&lt;T&gt;(T, Stream)</c>.
/// </summary>
internal static class InvokerBuilder
{
    private static readonly MethodInfo SerializeAfterMethod = typeof(InvokeSteps).GetMethod(nameof(InvokeSteps.SerializeAfterAsync))!;
    private static readonly MethodInfo CopyAfterMethod = typeof(InvokeSteps).GetMethod(nameof(InvokeSteps.CopyAfterAsync))!;
    private static readonly MethodInfo CopyMethod = typeof(InvokeSteps).GetMethod(nameof(InvokeSteps.Copy))!;

    public static HandlerInvoker Build(HandlerString handler, MethodInfo method, object? instance, object? serializer, LogSink sink)
    {
        var input = Expression.Parameter(typeof(Stream), "input");
        var context = Expression.Parameter(typeof(object), "context");
        var output = Expression.Parameter(typeof(Stream), "output");

        var parameters = method.GetParameters();
        if (parameters.Length > 2)
        {
            throw Errors.Validation(Errors.MethodTooManyParams, method.Name, handler.Type);
        }

        Type? inputType = null;
        Type? contextType = null;
        if (parameters.Length == 2)
        {
            if (!IsLambdaContext(parameters[1].ParameterType))
            {
                throw Errors.Validation(Errors.MethodSecondParamNotContext, method.Name, handler.Type, TypeNames.ILambdaContext);
            }

            inputType = parameters[0].ParameterType;
            contextType = parameters[1].ParameterType;
        }
        else if (parameters.Length == 1)
        {
            if (IsLambdaContext(parameters[0].ParameterType))
            {
                contextType = parameters[0].ParameterType;
            }
            else
            {
                inputType = parameters[0].ParameterType;
            }
        }

        var arguments = new List<Expression>(2);
        if (inputType is not null)
        {
            // Stream (or MemoryStream, what the runtime passes) takes the raw bytes; even object goes through the serializer.
            arguments.Add(typeof(Stream).IsAssignableFrom(inputType) && inputType.IsAssignableFrom(typeof(MemoryStream))
                ? Expression.Convert(input, inputType)
                : Expression.Call(SerializerExpression(serializer, Errors.DeserializeMissingAttribute, handler, inputType),
                    SerializerMethod(serializer!, "Deserialize").MakeGenericMethod(inputType), input));
        }

        ContextFactory? contexts = null;
        if (contextType is not null)
        {
            contexts = new ContextFactory(contextType, serializer, sink);
            arguments.Add(Expression.Convert(context, contextType));
        }

        var target = instance is null ? null : Expression.Constant(instance);
        Expression call = Expression.Call(target, method, arguments);
        var body = Complete(call, method.ReturnType, serializer, handler, output);
        var invoke = Expression.Lambda<Func<Stream, object?, Stream, Task>>(body, input, context, output).Compile();
        return new HandlerInvoker(invoke, contexts);
    }

    /// <summary>Turns the call's result into the Task the loop awaits, serializing or copying any value into the output.</summary>
    private static Expression Complete(Expression call, Type returnType, object? serializer, HandlerString handler, ParameterExpression output)
    {
        if (returnType == typeof(void))
        {
            return Expression.Block(call, Expression.Constant(Task.CompletedTask));
        }

        if (returnType == typeof(ValueTask))
        {
            return Expression.Call(call, typeof(ValueTask).GetMethod(nameof(ValueTask.AsTask))!);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            call = Expression.Call(call, returnType.GetMethod(nameof(ValueTask.AsTask))!);
            returnType = call.Type;
        }

        if (TaskResultType(returnType) is { } resultType)
        {
            var task = Expression.Convert(call, typeof(Task<>).MakeGenericType(resultType));
            if (typeof(Stream).IsAssignableFrom(resultType))
            {
                return Expression.Call(CopyAfterMethod.MakeGenericMethod(resultType), task, output);
            }

            var value = Expression.Parameter(resultType, "value");
            var stream = Expression.Parameter(typeof(Stream), "stream");
            var serialize = Expression.Lambda(typeof(Action<,>).MakeGenericType(resultType, typeof(Stream)),
                SerializeCall(serializer, handler, resultType, value, stream), value, stream).Compile();
            return Expression.Call(SerializeAfterMethod.MakeGenericMethod(resultType), task, Expression.Constant(serialize), output);
        }

        if (typeof(Task).IsAssignableFrom(returnType))
        {
            return Expression.Convert(call, typeof(Task));
        }

        var written = typeof(Stream).IsAssignableFrom(returnType)
            ? Expression.Call(CopyMethod, Expression.Convert(call, typeof(Stream)), output)
            : SerializeCall(serializer, handler, returnType, call, output);
        return Expression.Block(written, Expression.Constant(Task.CompletedTask));
    }

    private static MethodCallExpression SerializeCall(object? serializer, HandlerString handler, Type dataType, Expression value, Expression output) =>
        Expression.Call(SerializerExpression(serializer, Errors.SerializeMissingAttribute, handler, dataType),
            SerializerMethod(serializer!, "Serialize").MakeGenericMethod(dataType), value, output);

    /// <summary>The serializer typed as the ILambdaSerializer interface it implements (whichever Core defines it).</summary>
    private static ConstantExpression SerializerExpression(object? serializer, string missingError, HandlerString handler, Type dataType)
    {
        if (serializer is null)
        {
            throw Errors.Validation(missingError, handler.Assembly, handler.Method, dataType.FullName, TypeNames.LambdaSerializerAttribute);
        }

        return Expression.Constant(serializer, serializer.GetType().GetInterface(TypeNames.ILambdaSerializer)!);
    }

    private static MethodInfo SerializerMethod(object serializer, string name) =>
        serializer.GetType().GetInterface(TypeNames.ILambdaSerializer)!.GetMethod(name)!;

    private static bool IsLambdaContext(Type type) => type.FullName == TypeNames.ILambdaContext;

    /// <summary>T when <paramref name="type"/> is or derives from <c>Task&lt;T&gt;</c>.</summary>
    private static Type? TaskResultType(Type? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
            {
                return type.GenericTypeArguments[0];
            }
        }

        return null;
    }
}
