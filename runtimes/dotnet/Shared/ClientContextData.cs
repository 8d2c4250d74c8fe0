using System.Text.Json;

namespace Lamina.Lambda.Shared;

/// <summary>
/// The <c>Lambda-Runtime-Client-Context</c> header as the mobile SDKs shape it:
/// <c>{"client":{"installation_id","app_title","app_version_name","app_version_code","app_package_name"},"custom":{…},"env":{…}}</c>.
/// </summary>
internal sealed class ClientContextData
{
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Custom { get; } = new(StringComparer.Ordinal);

    public string? InstallationId { get; private set; }

    public string? AppTitle { get; private set; }

    public string? AppVersionName { get; private set; }

    public string? AppVersionCode { get; private set; }

    public string? AppPackageName { get; private set; }

    /// <summary>Null when the header is absent or not a JSON object.</summary>
    public static ClientContextData? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var data = new ClientContextData();
            Fill(root, "custom", data.Custom);
            Fill(root, "env", data.Environment);
            if (root.TryGetProperty("client", out var client) && client.ValueKind == JsonValueKind.Object)
            {
                data.InstallationId = Text(client, "installation_id");
                data.AppTitle = Text(client, "app_title");
                data.AppVersionName = Text(client, "app_version_name");
                data.AppVersionCode = Text(client, "app_version_code");
                data.AppPackageName = Text(client, "app_package_name");
            }

            return data;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The two ids of the <c>Lambda-Runtime-Cognito-Identity</c> header, or null.</summary>
    public static (string? IdentityId, string? PoolId)? ParseIdentity(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object ? (Text(root, "cognitoIdentityId"), Text(root, "cognitoIdentityPoolId")) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Fill(JsonElement root, string name, Dictionary<string, string> target)
    {
        if (!root.TryGetProperty(name, out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in values.EnumerateObject())
        {
            target[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;
}
