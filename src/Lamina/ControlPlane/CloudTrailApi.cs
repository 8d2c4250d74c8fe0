using System.Globalization;
using System.Text;
using Lamina.Core.Api.Audit;
using Lamina.Core.Audit;
using Lamina.Core.Errors;
using Lamina.Core.Storage;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The CloudTrail JSON 1.1 API (botocore cloudtrail 2013-11-01, X-Amz-Target
/// <c>com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*</c>): LookupEvents over the caller's own
/// account's audit trail, and ListPublicKeys for the digest signing keys.
/// </summary>
/// <remarks>
/// Unlike CloudTrail's event history, LookupEvents here returns data events (Invoke, the durable calls) as well
/// as management events: Lamina has no S3 trail to read them from otherwise. Filter with EventSource, EventName
/// or ReadOnly to narrow.
/// </remarks>
internal static class CloudTrailApi
{
    private const int MaxResults = 50;

    public static void Map(RootDispatcher root)
    {
        root.Add("cloudtrail", "LookupEvents", LookupEvents);
        root.Add("cloudtrail", "ListPublicKeys", ListPublicKeys);
    }

    private static async Task<ApiResult> LookupEvents(ApiCall call)
    {
        if (!call.ReadJson(CloudTrailJson.Default.LookupEventsRequest).TryGetValue(out var request, out var error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("cloudtrail:LookupEvents", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        if (Validate(request) is { } invalid)
        {
            return invalid;
        }

        if (request.EventCategory is not null)
        {
            // Insights events only: Lamina has none.
            return ApiResult.Json(200, new LookupEventsResponse(), CloudTrailJson.Default.LookupEventsResponse);
        }

        (DateTimeOffset, long)? after = null;
        if (!string.IsNullOrEmpty(request.NextToken))
        {
            if (DecodeToken(request.NextToken) is not { } cursor)
            {
                return new AwsError(400, "InvalidNextTokenException", "Invalid NextToken.");
            }

            after = cursor;
        }

        var attribute = request.LookupAttributes is [var only] ? only : null;
        var limit = request.MaxResults ?? MaxResults;
        var events = await call.Service<IStore>().Audit.LookupAsync(new AuditLookup
        {
            AccountId = call.Caller.AccountId,
            Attribute = attribute is null ? null : Enum.Parse<AuditLookupAttribute>(attribute.AttributeKey!),
            AttributeValue = attribute?.AttributeValue,
            StartTime = request.StartTime,
            EndTime = request.EndTime,
            Limit = limit + 1,
            After = after,
        }, call.Aborted());
        var page = events.Take(limit).ToList();
        var response = new LookupEventsResponse
        {
            Events = page.Select(e => new TrailEvent
            {
                EventId = e.EventId,
                EventName = e.EventName,
                ReadOnly = e.ReadOnly ? "true" : "false",
                AccessKeyId = e.AccessKeyId,
                EventTime = e.EventTime,
                EventSource = e.EventSource,
                Username = e.Username,
                Resources = e.Resources.Select(r => new TrailResource { ResourceType = r.Type, ResourceName = r.Name }).ToList(),
                CloudTrailEvent = e.Record,
            }).ToList(),
            NextToken = events.Count > limit ? EncodeToken(page[^1]) : null,
        };
        return ApiResult.Json(200, response, CloudTrailJson.Default.LookupEventsResponse);
    }

    private static AwsError? Validate(LookupEventsRequest request)
    {
        if (request.LookupAttributes is { Count: > 1 })
        {
            return new AwsError(400, "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.");
        }

        if (request.LookupAttributes is [var attribute])
        {
            if (attribute.AttributeKey is null || !Enum.TryParse<AuditLookupAttribute>(attribute.AttributeKey, ignoreCase: false, out var key)
                || !Enum.IsDefined(key) || char.IsDigit(attribute.AttributeKey[0]))
            {
                return new AwsError(400, "InvalidLookupAttributesException",
                    $"Lookup attribute key '{attribute.AttributeKey}' is not one of {string.Join(", ", Enum.GetNames<AuditLookupAttribute>())}.");
            }

            if (string.IsNullOrEmpty(attribute.AttributeValue) || attribute.AttributeValue.Length > 2000)
            {
                return new AwsError(400, "InvalidLookupAttributesException", "The lookup attribute value must be 1 to 2000 characters.");
            }

            if (key == AuditLookupAttribute.ReadOnly && attribute.AttributeValue is not ("true" or "false"))
            {
                return new AwsError(400, "InvalidLookupAttributesException", "The ReadOnly lookup attribute value must be true or false.");
            }
        }

        if (request.StartTime is { } start && request.EndTime is { } end && start > end)
        {
            return new AwsError(400, "InvalidTimeRangeException", "Start time must be before end time.");
        }

        if (request.MaxResults is < 1 or > MaxResults)
        {
            return new AwsError(400, "InvalidMaxResultsException", $"MaxResults must be between 1 and {MaxResults}.");
        }

        return request.EventCategory is null or "insight"
            ? null
            : new AwsError(400, "InvalidEventCategoryException", "The only supported event category is insight.");
    }

    private static string EncodeToken(AuditEvent last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"ct:{last.EventTime.ToUnixTimeMilliseconds()}:{last.Sequence}"));

    private static (DateTimeOffset, long)? DecodeToken(string token)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            return parts is ["ct", var time, var seq]
                   && long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                   && long.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                ? (DateTimeOffset.FromUnixTimeMilliseconds(ms), sequence)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The digest signing keys valid in the range (all when none is given), as awscli's validate-logs loads them.</summary>
    private static async Task<ApiResult> ListPublicKeys(ApiCall call)
    {
        if (!call.ReadJson(CloudTrailJson.Default.ListPublicKeysRequest).TryGetValue(out var request, out var error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("cloudtrail:ListPublicKeys", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        if (request.StartTime is { } start && request.EndTime is { } end && start > end)
        {
            return new AwsError(400, "InvalidTimeRangeException", "Start time must be before end time.");
        }

        var keys = await call.Service<IStore>().Audit.ListSigningKeysAsync(call.Aborted());
        return ApiResult.Json(200, new ListPublicKeysResponse
        {
            PublicKeyList = keys
                .Where(k => (request.EndTime is null || k.ValidFrom <= request.EndTime) && (request.StartTime is null || k.ValidTo is null || k.ValidTo >= request.StartTime))
                .Select(k => new PublicKeyShape { Value = k.PublicKey, ValidityStartTime = k.ValidFrom, ValidityEndTime = k.ValidTo, Fingerprint = k.Fingerprint })
                .ToList(),
        }, CloudTrailJson.Default.ListPublicKeysResponse);
    }
}
