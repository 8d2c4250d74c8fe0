using System.Reflection;

namespace Lamina.Runtime.Dotnet;

/// <summary>A class-library handler, <c>Assembly::Namespace.Type::Method</c>.</summary>
/// <param name="Method">A method name, or a full signature as <c>MethodInfo.ToString()</c> prints it.</param>
internal sealed record HandlerString(AssemblyName Assembly, string Type, string Method)
{
    private const string Separator = "::";

    /// <summary>Splits into at most three parts (so <c>A::B::C::D</c> names method <c>C::D</c>) and trims each.</summary>
    public static HandlerString Parse(string handler)
    {
        if (string.IsNullOrEmpty(handler))
        {
            throw Errors.Validation(Errors.EmptyHandler, Separator, Separator);
        }

        var parts = handler.Split(Separator, 3);
        if (parts.Length != 3)
        {
            throw Errors.Validation(Errors.InvalidHandler, handler, Separator, Separator);
        }

        var assembly = parts[0].Trim();
        if (assembly.Length == 0)
        {
            throw Errors.Validation(Errors.MissingAssembly, handler, Separator, Separator);
        }

        var type = parts[1].Trim();
        if (type.Length == 0)
        {
            throw Errors.Validation(Errors.MissingType, handler, Separator, Separator);
        }

        var method = parts[2].Trim();
        if (method.Length == 0)
        {
            throw Errors.Validation(Errors.MissingMethod, handler, Separator, Separator);
        }

        return new HandlerString(new AssemblyName(assembly), type, method);
    }
}
