using System.Text;
using Amazon.Lambda.Core;
using Amazon.Lambda.Serialization.SystemTextJson;

namespace HelloDotnet;

/// <summary>Static handlers, one per supported shape; the serializer comes from the assembly attribute.</summary>
public static class StaticHandlers
{
    /// <summary>POCO in, POCO out.</summary>
    public static Reply Greet(Greeting input) => new() { Message = $"Hello, {input.Name}!", Doubled = input.Count * 2 };

    /// <summary>Stream in, Stream out: the bytes bypass the serializer.</summary>
    public static Stream Echo(Stream input)
    {
        using var reader = new StreamReader(input, Encoding.UTF8);
        return new MemoryStream(Encoding.UTF8.GetBytes("raw:" + reader.ReadToEnd()));
    }

    /// <summary>async Task&lt;T&gt;.</summary>
    public static async Task<Reply> GreetAsync(Greeting input, ILambdaContext context)
    {
        await Task.Delay(20);
        return new Reply { Message = $"Later, {input.Name} ({context.AwsRequestId})", Doubled = input.Count * 2 };
    }

    /// <summary>void, with a logger call so the invocation leaves a trace.</summary>
    public static void Nothing(Greeting input, ILambdaContext context) => context.Logger.LogLine($"void handler saw {input.Name}");

    /// <summary>Context values and every way of logging.</summary>
    public static ContextReport Context(ILambdaContext context)
    {
        Console.WriteLine("console line");
        Console.Error.WriteLine("console error line");
        context.Logger.LogInformation("logger information");
        context.Logger.LogWarning("warning {Count} items", 3);
        LambdaLogger.Log("static logger line");
        return new ContextReport
        {
            AwsRequestId = context.AwsRequestId,
            FunctionName = context.FunctionName,
            FunctionVersion = context.FunctionVersion,
            InvokedFunctionArn = context.InvokedFunctionArn,
            LogGroupName = context.LogGroupName,
            LogStreamName = context.LogStreamName,
            MemoryLimitInMB = context.MemoryLimitInMB,
            RemainingTimeMs = context.RemainingTime.TotalMilliseconds,
            TraceId = context.TraceId,
            TraceVariable = Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID"),
            ClientCustom = context.ClientContext?.Custom is { } custom ? new Dictionary<string, string>(custom) : null,
            HasIdentity = context.Identity is not null,
            ExecutionEnv = Environment.GetEnvironmentVariable("AWS_EXECUTION_ENV"),
            GcHeapHardLimit = Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit"),
            WorkingDirectory = Environment.CurrentDirectory,
        };
    }

    /// <summary>Throws with an inner exception: the error body carries both.</summary>
    public static Reply Throw(Greeting input) =>
        throw new InvalidOperationException($"boom {input.Name}", new ArgumentException("inner cause"));

    /// <summary>Sleeps <c>Count</c> seconds, to run past the function's timeout.</summary>
    public static Reply Sleep(Greeting input)
    {
        Thread.Sleep(TimeSpan.FromSeconds(input.Count));
        return Greet(input);
    }

    /// <summary>
    /// With a positive <c>Count</c>, fills native memory 16 MB at a time until the environment's memory limit kills the
    /// process (native, so the GC's own heap limit cannot turn it into an OutOfMemoryException first); otherwise greets.
    /// </summary>
    public static Reply Allocate(Greeting input)
    {
        if (input.Count <= 0)
        {
            return Greet(input);
        }

        const int Block = 16 << 20;
        var page = new byte[1 << 20];
        Array.Fill(page, (byte)1);
        var blocks = new List<IntPtr>();
        while (true)
        {
            var block = System.Runtime.InteropServices.Marshal.AllocHGlobal(Block);
            for (var offset = 0; offset < Block; offset += page.Length)
            {
                System.Runtime.InteropServices.Marshal.Copy(page, 0, block + offset, page.Length);
            }

            blocks.Add(block);
        }
    }

    /// <summary>This environment's id: a warm invoke reports the same one.</summary>
    private static readonly string EnvironmentId = Guid.NewGuid().ToString("N");

    /// <summary>
    /// The end-to-end "hello": the GREETING variable, a file from a layer (.NET layers are plain files under
    /// /opt), and /tmp, which keeps what earlier invokes of this environment appended.
    /// </summary>
    public static HelloReport Hello(Greeting input)
    {
        const string LayerFile = "/opt/dotnet/matrix-layer.txt";
        File.AppendAllText("/tmp/hello.txt", input.Name + "\n");
        return new HelloReport
        {
            Env = EnvironmentId,
            Greeting = Environment.GetEnvironmentVariable("GREETING"),
            Layer = File.Exists(LayerFile) ? File.ReadAllText(LayerFile) : null,
            Tmp = File.ReadAllText("/tmp/hello.txt"),
        };
    }

    /// <summary>An <c>object</c> input goes through the serializer (a JsonElement), not the raw stream.</summary>
    public static string Kind(object input) => input.GetType().Name;

    /// <summary>A method-level serializer wins over the assembly's.</summary>
    [LambdaSerializer(typeof(CamelCaseLambdaJsonSerializer))]
    public static Reply Camel(Greeting input) => new() { Message = input.Name, Doubled = input.Count * 2 };
}
