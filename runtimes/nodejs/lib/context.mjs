// The `context` object a handler receives, filled from the environment and the /next headers.

function parseJsonHeader(value, name) {
  if (value === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error}`);
  }
}

/**
 * @param {object} headers the /next response headers (lower-case names)
 * @param {object} control callbackWaitsForEmptyEventLoop accessors and succeed/fail/done
 * @throws Error when the client context or Cognito identity header is not JSON (a function error)
 */
export function createContext(headers, control, env = process.env) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return control.waitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      control.waitsForEmptyEventLoop = value;
    },
    succeed: control.succeed,
    fail: control.fail,
    done: control.done,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  const tenantId = headers['lambda-runtime-aws-tenant-id'];
  if (tenantId !== undefined) {
    context.tenantId = tenantId;
  }
  return context;
}

/** _X_AMZN_TRACE_ID holds the current invoke's trace header, and is absent when it has none. */
export function setTraceId(headers, env = process.env) {
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) {
    env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete env._X_AMZN_TRACE_ID;
  }
}
