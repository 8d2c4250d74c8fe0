using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.Durable;

/// <summary>A started (or, for an idempotent repeat, found) execution.</summary>
internal sealed record DurableStart(DurableExecutionRecord Execution, bool Existing);

internal sealed partial class DurableEngine
{
    /// <summary>An execution without DurableConfig.ExecutionTimeout may run a day.</summary>
    public const long DefaultExecutionTimeoutSeconds = 86_400;

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();

    public static AwsError AlreadyStarted(string name) => new(409, "DurableExecutionAlreadyStartedException",
        $"A durable execution named {name} already exists for this function with a different input, or has closed and is still retained. " +
        "Use another name, or wait for its retention period to end.");

    /// <summary>
    /// Starts an execution of <paramref name="version"/> (a durable function's resolved version). With a
    /// name, a running execution of that name and the same input is returned instead (idempotent start).
    /// </summary>
    public async Task<Outcome<DurableStart>> StartAsync(FunctionVersionRecord version, string? name, ReadOnlyMemory<byte> payload, string? traceId,
        (string Arn, string OperationId)? parent, CancellationToken cancellationToken)
    {
        if (name is not null && !NamePattern().IsMatch(name))
        {
            return LambdaErrors.InvalidParameter(
                $"1 validation error detected: Value '{name}' at 'durableExecutionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+");
        }

        var input = payload.IsEmpty ? "{}" : Encoding.UTF8.GetString(payload.Span);
        var hash = Sha256(Encoding.UTF8.GetBytes(input));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (name is not null && await Store.FindByNameAsync(version.AccountId, version.FunctionName, name, cancellationToken) is { } existing)
            {
                return !existing.IsClosed && existing.InputHash == hash ? new DurableStart(existing, true) : AlreadyStarted(name);
            }

            var id = Guid.NewGuid().ToString("N");
            var executionName = name ?? Guid.NewGuid().ToString();
            var now = Now;
            var durable = version.Config.DurableConfig;
            var execution = new DurableExecutionRecord
            {
                Arn = $"{Arns.Function(options.Region, version.AccountId, version.FunctionName, version.Version)}/durable-execution/{executionName}/{id}",
                AccountId = version.AccountId,
                FunctionName = version.FunctionName,
                Version = version.Version,
                Name = executionName,
                Status = ExecutionStatus.Running,
                StartedAt = now,
                SealedInput = [],
                InputHash = hash,
                ExecutionTimeoutSeconds = durable?.ExecutionTimeout ?? DefaultExecutionTimeoutSeconds,
                RetentionDays = durable?.RetentionPeriodInDays ?? 14,
                TraceId = traceId,
                ParentArn = parent?.Arn,
                ParentOperationId = parent?.OperationId,
            };
            execution = execution with { SealedInput = SealText(execution, "input", input) };

            var change = new Change(this, execution);
            var root = change.NewOperation(id, Op.Execution, null, null, null, Op.Started, now);
            root.Details["InputPayload"] = input;
            change.History("ExecutionStarted", root, new JsonObject
            {
                ["Input"] = EventPayload(input),
                ["ExecutionTimeout"] = execution.ExecutionTimeoutSeconds,
            }, now);
            Wake(change);
            Timer(change, "execution", null, now + TimeSpan.FromSeconds(execution.ExecutionTimeoutSeconds));
            var commit = change.ToCommit(insert: true);
            if (await Store.CommitAsync(commit, cancellationToken) == WriteStatus.Ok)
            {
                AfterCommit(change);
                Log.Started(logger, execution.Arn);
                return new DurableStart(commit.Execution, false);
            }

            // AlreadyExists: another start with this name won the race; look again.
            name ??= executionName;
        }

        return AlreadyStarted(name!);
    }

    /// <summary>Waits until the execution closes, or <paramref name="limit"/> passes (then returns it still running).</summary>
    public async Task<DurableExecutionRecord?> WaitForCloseAsync(string arn, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Now + limit;
        while (true)
        {
            var waiter = _closeWaiters.GetOrAdd(arn, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var execution = await Store.GetExecutionAsync(arn, cancellationToken);
            if (execution is null || execution.IsClosed || Now >= deadline)
            {
                return execution;
            }

            // The in-process signal is immediate; the 1-second re-read covers a change committed by another process.
            var wait = deadline - Now;
            try
            {
                await waiter.Task.WaitAsync(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), time, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }
}
