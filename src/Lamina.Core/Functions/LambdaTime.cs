using System.Globalization;

namespace Lamina.Core.Functions;

internal static class LambdaTime
{
    /// <summary>Lambda's LastModified/CreatedDate format, e.g. <c>2024-01-01T00:00:00.000+0000</c>.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    public static string NewRevisionId() => Guid.NewGuid().ToString();
}
