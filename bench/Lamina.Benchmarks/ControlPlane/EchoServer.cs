using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// The cheapest server Kestrel can be: answers every request with <c>?bytes=N</c> bytes of JSON-ish
/// filler and no other work. Driving it with the load client shows the client's own ceiling for a
/// response of a given size, so a server far below that ceiling is measured, not the client.
/// </summary>
internal static class EchoServer
{
    public const string SizeParameter = "bytes";

    private const int MaxBody = 1024 * 1024;

    public static async Task RunAsync(int port, CancellationToken cancellationToken)
    {
        var filler = new byte[MaxBody];
        filler.AsSpan().Fill((byte)'x');
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var size = int.TryParse(context.Request.Query[SizeParameter], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? Math.Clamp(n, 0, MaxBody)
                : 0;
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = size;
            await context.Response.Body.WriteAsync(filler.AsMemory(0, size), context.RequestAborted);
        });
        await app.RunAsync(cancellationToken);
    }
}
