using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Core.Durable;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The durable execution API (2025-12-01): checkpoints and state for the SDK inside the function,
/// describe/list/history/stop for operators, and callbacks for whoever completes them.
/// </summary>
internal static partial class LambdaApi
{
    // Model pattern of DurableExecutionArn: qualified by a version or $LATEST, never an alias or unqualified.
    [GeneratedRegex(@"^arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):(\$LATEST(?:\.PUBLISHED)?|[0-9]+)/durable-execution/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)$")]
    private static partial Regex DurableArnPattern();

    [GeneratedRegex(@"^[A-Za-z0-9+/]+={0,2}$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^[\x21-\x7E]{1,64}$")]
    private static partial Regex ClientTokenPattern();

    public static void MapDurable(IEndpointRouteBuilder app)
    {
        const string Executions = "/2025-12-01/durable-executions/{DurableExecutionArn}";
        // The SDK's own calls from inside a running function are data events, like Invoke: one per step, so
        // trails that log only management events stay small. Their bodies and answers are operation payloads
        // (step results, callback results), which records never hold; nor do the callback calls' bodies.
        Route(app, "POST", Executions + "/checkpoint", DataEvent("CheckpointDurableExecution"), CheckpointDurableExecution);
        Route(app, "GET", Executions + "/state", DataEvent("GetDurableExecutionState"), GetDurableExecutionState);
        Route(app, "GET", Executions, "GetDurableExecution", GetDurableExecution);
        Route(app, "GET", Executions + "/history", "GetDurableExecutionHistory", GetDurableExecutionHistory);
        Route(app, "POST", Executions + "/stop", "StopDurableExecution", StopDurableExecution);
        Route(app, "GET", "/2025-12-01/functions/{FunctionName}/durable-executions", "ListDurableExecutionsByFunction", ListDurableExecutions);
        Route(app, "POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/succeed", PayloadHidden("SendDurableExecutionCallbackSuccess"),
            call => SendCallback(call, "succeed"));
        Route(app, "POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/fail", PayloadHidden("SendDurableExecutionCallbackFailure"), call => SendCallback(call, "fail"));
        Route(app, "POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/heartbeat", PayloadHidden("SendDurableExecutionCallbackHeartbeat"),
            call => SendCallback(call, "heartbeat"));
    }

    private static ApiOperation DataEvent(string name) =>
        new("lambda", name) { Audit = Core.Audit.AuditCategory.Data, AuditBody = false, AuditResponse = false };

    private static ApiOperation PayloadHidden(string name) => new("lambda", name) { AuditBody = false, AuditResponse = false };

    private static DurableEngine Durable(ApiCall call) => call.Service<DurableEngine>();

    private static ApiResult JsonBody(JsonObject body) => ApiResult.Bytes(200, JsonSerializer.SerializeToUtf8Bytes(body), "application/json");

    /// <summary>
    /// The ARN path segment (clients percent-encode its slashes, which routing leaves encoded), checked
    /// against the model's pattern, then authorized: durable calls authorize on the execution ARN itself.
    /// </summary>
    private static async Task<Outcome<string>> DurableArnAsync(ApiCall call, string action)
    {
        var arn = Uri.UnescapeDataString(call.Route("DurableExecutionArn"));
        var match = DurableArnPattern().Match(arn);
        if (!match.Success || arn.Length > 1024)
        {
            return LambdaErrors.InvalidParameter(
                $"1 validation error detected: Value '{arn}' at 'durableExecutionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
                "arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\\d{12}):function:([a-zA-Z0-9_-]+):(\\$LATEST(?:\\.PUBLISHED)?|[0-9]+)/durable-execution/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)");
        }

        call.Audit.Request("durableExecutionArn", arn);
        call.Audit.Resource("AWS::Lambda::Function", match.Groups[4].Value, arn[..arn.IndexOf("/durable-execution/", StringComparison.Ordinal)]);
        if (await call.AuthorizeAsync(action, arn, match.Groups[3].Value) is { } denied)
        {
            return denied;
        }

        return arn;
    }

    private static Outcome<JsonObject?> BodyObject(ApiCall call)
    {
        if (call.Body.Length == 0)
        {
            return (JsonObject?)null;
        }

        try
        {
            return JsonNode.Parse(call.Body) is JsonObject o ? o : LambdaErrors.InvalidRequestContent("The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            return LambdaErrors.InvalidRequestContent($"Could not parse request body into json: {ex.Message}");
        }
    }

    private static async Task<ApiResult> CheckpointDurableExecution(ApiCall call)
    {
        if (!(await DurableArnAsync(call, "lambda:CheckpointDurableExecution")).TryGetValue(out var arn, out var error) ||
            !BodyObject(call).TryGetValue(out var body, out error))
        {
            return error;
        }

        var token = body?["CheckpointToken"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(token) || token.Length > 2048 || !TokenPattern().IsMatch(token))
        {
            return LambdaErrors.InvalidParameter("CheckpointToken is required and must be the token of the running invocation.");
        }

        var clientToken = body?["ClientToken"] is JsonValue ct && ct.TryGetValue<string>(out var c) ? c : null;
        if (clientToken is not null && !ClientTokenPattern().IsMatch(clientToken))
        {
            return LambdaErrors.InvalidParameter("ClientToken must be 1 to 64 printable ASCII characters.");
        }

        if (!DurableEngine.ParseUpdates(body?["Updates"] as JsonArray).TryGetValue(out var updates, out error))
        {
            return error;
        }

        // The data event names each step it checkpoints, never its payload, error or the checkpoint token.
        var audited = new JsonArray();
        foreach (var update in updates)
        {
            audited.Add(new JsonObject
            {
                ["id"] = update.Id,
                ["parentId"] = update.ParentId,
                ["name"] = update.Name,
                ["type"] = update.Type,
                ["subType"] = update.SubType,
                ["action"] = update.Action,
            });
        }

        call.Audit.Request("updates", audited);
        call.Audit.Request("clientToken", clientToken);

        var result = await Durable(call).CheckpointAsync(arn, token, updates, clientToken, call.Aborted());
        return result.TryGetValue(out var response, out error) ? JsonBody(response) : error;
    }

    private static async Task<ApiResult> GetDurableExecutionState(ApiCall call)
    {
        if (!(await DurableArnAsync(call, "lambda:GetDurableExecutionState")).TryGetValue(out var arn, out var error) ||
            !call.QueryInt("MaxItems", "maxItems").TryGetValue(out var maxItems, out error))
        {
            return error;
        }

        var token = call.Query("CheckpointToken");
        if (string.IsNullOrEmpty(token))
        {
            return LambdaErrors.InvalidParameter("CheckpointToken is required.");
        }

        var result = await Durable(call).GetStateAsync(arn, token, call.Query("Marker"), maxItems, call.Aborted());
        return result.TryGetValue(out var response, out error) ? JsonBody(response) : error;
    }

    private static async Task<ApiResult> GetDurableExecution(ApiCall call)
    {
        if (!(await DurableArnAsync(call, "lambda:GetDurableExecution")).TryGetValue(out var arn, out var error))
        {
            return error;
        }

        var engine = Durable(call);
        return await engine.GetExecutionRecordAsync(arn, call.Aborted()) is { } x ? JsonBody(engine.Describe(x)) : DurableEngine.ExecutionNotFound(arn);
    }

    private static async Task<ApiResult> GetDurableExecutionHistory(ApiCall call)
    {
        if (!(await DurableArnAsync(call, "lambda:GetDurableExecutionHistory")).TryGetValue(out var arn, out var error) ||
            !call.QueryInt("MaxItems", "maxItems").TryGetValue(out var maxItems, out error))
        {
            return error;
        }

        var engine = Durable(call);
        if (await engine.GetExecutionRecordAsync(arn, call.Aborted()) is not { } x)
        {
            return DurableEngine.ExecutionNotFound(arn);
        }

        var include = call.Query("IncludeExecutionData") is not { } flag || !flag.Equals("false", StringComparison.OrdinalIgnoreCase);
        var reverse = call.Query("ReverseOrder") is { } r && r.Equals("true", StringComparison.OrdinalIgnoreCase);
        var result = await engine.HistoryAsync(x, include, maxItems, call.Query("Marker"), reverse, call.Aborted());
        return result.TryGetValue(out var response, out error) ? JsonBody(response) : error;
    }

    private static async Task<ApiResult> StopDurableExecution(ApiCall call)
    {
        if (!(await DurableArnAsync(call, "lambda:StopDurableExecution")).TryGetValue(out var arn, out var error) ||
            !BodyObject(call).TryGetValue(out var body, out error))
        {
            return error;
        }

        var result = await Durable(call).StopAsync(arn, body, call.Aborted());
        return result.TryGetValue(out var stopped, out error)
            ? JsonBody(new JsonObject { ["StopTimestamp"] = OperationState.Timestamp(stopped, TimestampStyle.EpochSeconds) })
            : error;
    }

    private static async Task<ApiResult> ListDurableExecutions(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error) ||
            !call.QueryInt("MaxItems", "maxItems").TryGetValue(out var maxItems, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:ListDurableExecutionsByFunction", target) is { } denied)
        {
            return denied;
        }

        var qualifier = call.Query("Qualifier");
        if (!(await call.Service<FunctionService>().ResolveAsync(target with { Qualifier = qualifier }, call.Aborted())).TryGetValue(out var found, out error))
        {
            return error;
        }

        var statuses = call.QueryAll("Statuses");
        var allowed = new[] { ExecutionStatus.Running, ExecutionStatus.Succeeded, ExecutionStatus.Failed, ExecutionStatus.TimedOut, ExecutionStatus.Stopped };
        if (statuses.FirstOrDefault(s => !allowed.Contains(s)) is { } bad)
        {
            return LambdaErrors.InvalidParameter($"Statuses contains '{bad}'; each must be one of {string.Join(", ", allowed)}.");
        }

        DateTimeOffset? Time(string name) => call.Query(name) is { Length: > 0 } v &&
            DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
        var query = new ExecutionQuery
        {
            AccountId = target.AccountId,
            FunctionName = target.Name,
            Version = found.Version.Version,
            Name = call.Query("DurableExecutionName"),
            Statuses = statuses.Count == 0 ? null : statuses.ToList(),
            StartedAfter = Time("StartedAfter"),
            StartedBefore = Time("StartedBefore"),
            Reverse = call.Query("ReverseOrder") is { } r && r.Equals("true", StringComparison.OrdinalIgnoreCase),
            Limit = maxItems is null or 0 ? 100 : Math.Clamp(maxItems.Value, 1, 1000),
        };
        var result = await Durable(call).ListAsync(query, call.Query("Marker"), call.Aborted());
        return result.TryGetValue(out var response, out error) ? JsonBody(response) : error;
    }

    private static async Task<ApiResult> SendCallback(ApiCall call, string action)
    {
        var callbackId = Uri.UnescapeDataString(call.Route("CallbackId"));
        if (callbackId.Length is 0 or > 1024 || !TokenPattern().IsMatch(callbackId))
        {
            return LambdaErrors.InvalidParameter("CallbackId is not valid.");
        }

        if (action == "succeed" && call.Body.Length > 262_144)
        {
            return LambdaErrors.RequestTooLarge("Callback result must be at most 262144 bytes.");
        }

        JsonObject? errorBody = null;
        if (action == "fail")
        {
            if (!BodyObject(call).TryGetValue(out errorBody, out var invalid))
            {
                return invalid;
            }
        }

        var engine = Durable(call);
        if (await engine.FindCallbackExecutionAsync(callbackId, call.Aborted()) is not { } x)
        {
            return DurableEngine.CallbackClosed();
        }

        var operation = action switch
        {
            "succeed" => "lambda:SendDurableExecutionCallbackSuccess",
            "fail" => "lambda:SendDurableExecutionCallbackFailure",
            _ => "lambda:SendDurableExecutionCallbackHeartbeat",
        };
        if (await call.AuthorizeAsync(operation, x.Arn, x.AccountId) is { } denied)
        {
            return denied;
        }

        var error = await engine.CompleteCallbackAsync(callbackId, action, call.Body, errorBody, call.Aborted());
        return error is null ? JsonBody([]) : error;
    }
}
