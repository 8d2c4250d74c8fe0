using Amazon.Lambda.Serialization.SystemTextJson;
using Lamina.Lambda;

namespace HelloExecutable;

public static class Program
{
    public static Task<int> Main() =>
        LambdaRuntime.RunAsync<Request, Response>(async (request, context) =>
        {
            await Task.Yield();
            Console.WriteLine($"executable saw {request.Name}");
            context.Logger.LogInformation("from the context logger");
            if (request.Fail)
            {
                throw new InvalidDataException("asked to fail");
            }

            return new Response("executable", $"Hi, {request.Name}", context.AwsRequestId, context.FunctionName, context.RemainingTime.TotalMilliseconds);
        }, new DefaultLambdaJsonSerializer());
}

public sealed record Request(string? Name, bool Fail);

public sealed record Response(string Mode, string Message, string RequestId, string FunctionName, double RemainingTimeMs);
