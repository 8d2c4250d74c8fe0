using Amazon.Lambda.Core;

namespace Lamina.Durable;

internal sealed record StepContext(int Attempt, string OperationId, ILambdaLogger Logger, CancellationToken CancellationToken) : IStepContext;
