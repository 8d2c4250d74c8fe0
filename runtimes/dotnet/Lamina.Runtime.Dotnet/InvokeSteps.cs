namespace Lamina.Runtime.Dotnet;

/// <summary>The asynchronous tails of compiled handler calls (expression trees cannot await).</summary>
internal static class InvokeSteps
{
    public static async Task SerializeAfterAsync<T>(Task<T> task, Action<T, Stream> serialize, Stream output) => serialize(await task, output);

    public static async Task CopyAfterAsync<T>(Task<T> task, Stream output)
        where T : Stream => Copy(await task, output);

    /// <summary>A returned stream is sent from its current position; a null stream sends an empty body.</summary>
    public static void Copy(Stream? result, Stream output) => result?.CopyTo(output);
}
