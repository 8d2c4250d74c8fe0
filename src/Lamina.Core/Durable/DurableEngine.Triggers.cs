using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Accounts;
using Lamina.Core.Async;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;

namespace Lamina.Core.Durable;

internal sealed partial class DurableEngine
{
    public static AwsError CallbackClosed() => new(400, "CallbackTimeoutException",
        "The callback has already completed, failed or timed out, or the callback id is not valid.");

    /// <summary>
    /// A timer came due. Each checks that what it guards is still current (a completed callback, a newer
    /// heartbeat or a closed execution makes it a no-op), so timers never need cancelling.
    /// </summary>
    private async Task FireTimerAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        var payload = OpenPayload(e);
        var kind = payload["timer"]!.GetValue<string>();
        var opId = payload["op"]?.GetValue<string>();
        await MutateAsync<bool>(e.ExecutionArn!, async c =>
        {
            c.CompleteEvent = (e.Id, node);
            var x = c.Execution;
            var now = Now;
            if (x.IsClosed)
            {
                return true;
            }

            if (kind == "execution")
            {
                await CloseAsync(c, ExecutionStatus.TimedOut, null,
                    ErrorObject("Execution.TimedOut", $"The durable execution did not finish within its ExecutionTimeout of {x.ExecutionTimeoutSeconds} seconds."),
                    cancellationToken);
                return true;
            }

            var op = await LoadAsync(c, opId!, cancellationToken);
            switch (kind)
            {
                case "wait" when op is { Status: Op.Started }:
                    op.Status = Op.Succeeded;
                    op.EndedAt = now;
                    c.Touch(op);
                    c.History("WaitSucceeded", op, new JsonObject { ["Duration"] = op.Number("_duration") }, now);
                    Wake(c);
                    break;
                case "retry" when op is { Status: Op.Pending }:
                    op.Status = Op.Ready;
                    op.Details.Remove("NextAttemptTimestamp");
                    c.Touch(op);
                    Wake(c);
                    break;
                case "callback-timeout" when op is { Status: Op.Started }:
                    TimeOutCallback(c, op, "Callback.Timeout", "The callback was not completed within its timeout.", now);
                    break;
                case "callback-heartbeat" when op is { Status: Op.Started } && op.Number("_heartbeatDue") is { } due &&
                                               due <= now.ToUnixTimeMilliseconds() + 5:
                    TimeOutCallback(c, op, "Callback.Heartbeat", "No heartbeat arrived within the callback's heartbeat timeout.", now);
                    break;
            }

            return true;
        }, () => true, cancellationToken);
        await CompleteIfGoneAsync(e, node, cancellationToken);
    }

    private void TimeOutCallback(Change c, OperationState op, string type, string message, DateTimeOffset now)
    {
        var error = ErrorObject(type, message);
        op.Status = Op.TimedOut;
        op.EndedAt = now;
        op.Details["Error"] = error;
        c.Touch(op);
        c.History("CallbackTimedOut", op, new JsonObject { ["Error"] = EventPayload(error) }, now);
        Wake(c);
    }

    /// <summary>Removes a queue event whose execution was purged (a mutation of a missing execution writes nothing).</summary>
    private async Task CompleteIfGoneAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        if (await Store.GetExecutionAsync(e.ExecutionArn!, cancellationToken) is null)
        {
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
        }
    }

    /// <summary>The execution a callback id belongs to (for authorization before the callback is completed).</summary>
    public async Task<DurableExecutionRecord?> FindCallbackExecutionAsync(string callbackId, CancellationToken cancellationToken) =>
        await Store.FindCallbackAsync(callbackId, cancellationToken) is { } found ? await Store.GetExecutionAsync(found.Arn, cancellationToken) : null;

    /// <summary>SendDurableExecutionCallbackSuccess / Failure / Heartbeat.</summary>
    public async Task<AwsError?> CompleteCallbackAsync(string callbackId, string action, byte[]? result, JsonObject? error, CancellationToken cancellationToken)
    {
        if (await Store.FindCallbackAsync(callbackId, cancellationToken) is not { } found)
        {
            return CallbackClosed();
        }

        var outcome = await MutateAsync<bool>(found.Arn, async c =>
        {
            var x = c.Execution;
            var now = Now;
            var op = await LoadAsync(c, found.OperationId, cancellationToken);
            if (x.IsClosed || op is not { Status: Op.Started })
            {
                c.Write = false;
                return CallbackClosed();
            }

            switch (action)
            {
                case "succeed":
                {
                    var text = Encoding.UTF8.GetString(result ?? []);
                    op.Status = Op.Succeeded;
                    op.EndedAt = now;
                    op.Details["Result"] = text;
                    c.Touch(op);
                    c.History("CallbackSucceeded", op, new JsonObject { ["Result"] = EventPayload(text) }, now);
                    Wake(c);
                    break;
                }

                case "fail":
                {
                    var value = error ?? ErrorObject("Callback.Failed", "");
                    op.Status = Op.Failed;
                    op.EndedAt = now;
                    op.Details["Error"] = value.DeepClone();
                    c.Touch(op);
                    c.History("CallbackFailed", op, new JsonObject { ["Error"] = EventPayload(value) }, now);
                    Wake(c);
                    break;
                }

                default:
                {
                    if (op.Number("_heartbeat") is not { } seconds)
                    {
                        // No heartbeat timeout: a heartbeat is accepted and changes nothing.
                        c.Write = false;
                        return true;
                    }

                    var due = now + TimeSpan.FromSeconds(seconds);
                    op.Details["_heartbeatDue"] = due.ToUnixTimeMilliseconds();
                    c.Dirty.Add(op);
                    Timer(c, "callback-heartbeat", op.Id, due);
                    break;
                }
            }

            return true;
        }, () => CallbackClosed(), cancellationToken);
        return outcome.Error;
    }

    /// <summary>
    /// Runs a CHAINED_INVOKE: a durable target becomes its own execution (it must name a version), any
    /// other function is invoked synchronously; the result completes the parent's operation.
    /// </summary>
    private async Task RunChainedInvokeAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        var arn = e.ExecutionArn!;
        var opId = OpenPayload(e)["op"]!.GetValue<string>();
        var parent = await Store.GetExecutionAsync(arn, cancellationToken);
        var records = parent is null ? [] : await Store.GetOperationsAsync(arn, [opId], cancellationToken);
        if (parent is null || parent.IsClosed || records.Count == 0)
        {
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
            return;
        }

        var op = OperationState.Open(records[0], envelope, arn);
        var functionName = op.Text("_function")!;
        var input = Encoding.UTF8.GetBytes(op.Text("_input") ?? "{}");
        if (!FunctionTarget.Parse(functionName, null, parent.AccountId, options.Region).TryGetValue(out var target, out var error))
        {
            await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject(error.Code, error.Message), cancellationToken);
            return;
        }

        if (await AuthorizeAsRoleAsync(parent, target, cancellationToken) is { } denied)
        {
            await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject(denied.Code, denied.Message), cancellationToken);
            return;
        }

        var resolved = await functions.ResolveAsync(target, cancellationToken);
        if (!resolved.TryGetValue(out var found, out error))
        {
            await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject(error.Code, error.Message), cancellationToken);
            return;
        }

        if (found.Version.Config.DurableConfig is not null)
        {
            if (target.Qualifier is null)
            {
                await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject("InvalidParameterValueException",
                    "A durable function must be invoked with a qualified ARN (a version, alias or $LATEST)."), cancellationToken);
                return;
            }

            // A name derived from the parent operation makes a re-run of this event find the same child.
            var childName = "chained-" + Sha256(Encoding.UTF8.GetBytes(arn + "/" + opId))[..40];
            var child = await StartAsync(found.Version, childName, input, parent.TraceId, (arn, opId), cancellationToken);
            if (!child.IsSuccess)
            {
                await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject(child.Error.Code, child.Error.Message), cancellationToken);
                return;
            }

            // The child's close queues DurableChildClosed for this operation; this event is done.
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
            return;
        }

        var outcome = await invoker.InvokeAsync(new InvokeCommand { Target = target, Payload = input }, CancellationToken.None);
        if (!outcome.TryGetValue(out var response, out error))
        {
            if (error.StatusCode == 429)
            {
                await store.Queue.RescheduleAsync(e.Id, node, Now + asyncOptions.Scaled(TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, e.ThrottleAttempts)))),
                    e.Attempts, e.ThrottleAttempts + 1, cancellationToken);
                return;
            }

            await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject(error.Code, error.Message), cancellationToken);
            return;
        }

        var result = response.Result!;
        await CompleteChainedAsync(e, node, opId, result.IsError ? Op.Failed : Op.Succeeded,
            result.IsError ? null : Encoding.UTF8.GetString(result.Payload), result.IsError ? FunctionError(result) : null, cancellationToken);
    }

    /// <summary>A chained durable execution closed: its outcome completes the parent's CHAINED_INVOKE operation.</summary>
    private async Task ChildClosedAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        var payload = OpenPayload(e);
        var child = await Store.GetExecutionAsync(payload["child"]!.GetValue<string>(), cancellationToken);
        var opId = payload["op"]!.GetValue<string>();
        if (child is null)
        {
            await CompleteChainedAsync(e, node, opId, Op.Failed, null, ErrorObject("ResourceNotFoundException", "The chained execution no longer exists."),
                cancellationToken);
            return;
        }

        var error = OpenText(child, "error", child.SealedError) is { } text ? JsonNode.Parse(text) as JsonObject : null;
        var status = child.Status switch
        {
            ExecutionStatus.Succeeded => Op.Succeeded,
            ExecutionStatus.TimedOut => Op.TimedOut,
            ExecutionStatus.Stopped => Op.Stopped,
            _ => Op.Failed,
        };
        await CompleteChainedAsync(e, node, opId, status, OpenText(child, "result", child.SealedResult), error, cancellationToken);
    }

    private async Task CompleteChainedAsync(AsyncEvent e, string node, string opId, string status, string? result, JsonObject? error,
        CancellationToken cancellationToken)
    {
        await MutateAsync<bool>(e.ExecutionArn!, async c =>
        {
            c.CompleteEvent = (e.Id, node);
            var op = await LoadAsync(c, opId, cancellationToken);
            if (c.Execution.IsClosed || op is not { Status: Op.Started })
            {
                return true;
            }

            var now = Now;
            op.Status = status;
            op.EndedAt = now;
            if (result is not null)
            {
                op.Details["Result"] = result;
            }

            if (error is not null)
            {
                op.Details["Error"] = error.DeepClone();
            }

            c.Touch(op);
            var (eventType, details) = status switch
            {
                Op.Succeeded => ("ChainedInvokeSucceeded", new JsonObject { ["Result"] = EventPayload(result) }),
                Op.TimedOut => ("ChainedInvokeTimedOut", new JsonObject { ["Error"] = EventPayload(error) }),
                Op.Stopped => ("ChainedInvokeStopped", new JsonObject { ["Error"] = EventPayload(error) }),
                _ => ("ChainedInvokeFailed", new JsonObject { ["Error"] = EventPayload(error) }),
            };
            c.History(eventType, op, details, now);
            Wake(c);
            return true;
        }, () => true, cancellationToken);
        await CompleteIfGoneAsync(e, node, cancellationToken);
    }

    /// <summary>The execution's function role must be allowed to invoke the chained target, as an SDK call from the function would need.</summary>
    private async Task<AwsError?> AuthorizeAsRoleAsync(DurableExecutionRecord x, FunctionTarget target, CancellationToken cancellationToken)
    {
        var version = await store.Functions.GetVersionAsync(x.AccountId, x.FunctionName, x.Version, cancellationToken);
        var role = version?.Config.Role ?? "";
        var session = new CallerIdentity(x.AccountId, $"arn:aws:sts::{x.AccountId}:assumed-role/{role[(role.LastIndexOf('/') + 1)..]}/{x.FunctionName}",
            x.FunctionName, PrincipalKind.AssumedRole, "durable")
        {
            SessionData = JsonSerializer.Serialize(new SessionInfo(role, x.FunctionName), SessionJson.Default.SessionInfo),
        };
        var policy = await store.Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, target.Qualifier ?? "", cancellationToken);
        return await authorizer.AuthorizeAsync(session, new AuthorizationRequest("lambda:InvokeFunction", target.Arn(options.Region), target.AccountId)
        {
            ResourcePolicy = policy is not null && Iam.PolicyDocument.TryParse(policy.Document, out var doc, out _) ? doc : null,
        }, cancellationToken);
    }

    /// <summary>StopDurableExecution: closes a running execution as STOPPED; stopping a stopped one answers the same.</summary>
    public async Task<Outcome<DateTimeOffset>> StopAsync(string arn, JsonObject? error, CancellationToken cancellationToken) =>
        await MutateAsync<DateTimeOffset>(arn, async c =>
        {
            var x = c.Execution;
            if (x.Status == ExecutionStatus.Stopped)
            {
                c.Write = false;
                return x.EndedAt ?? Now;
            }

            if (x.IsClosed)
            {
                c.Write = false;
                return Invalid($"The durable execution is already {x.Status}; only a running execution can be stopped.");
            }

            await CloseAsync(c, ExecutionStatus.Stopped, null, error, cancellationToken);
            return c.Execution.EndedAt!.Value;
        }, () => LambdaErrors.ResourceNotFound($"Durable execution not found: {arn}"), cancellationToken);
}
