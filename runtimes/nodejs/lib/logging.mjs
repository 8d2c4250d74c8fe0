// Replaces console.* so every line carries a timestamp, the request id and a level, in Lambda's
// text or JSON format, and is written synchronously to fd 1: a line logged just before the
// handler returns is in the pipe before the response is posted, so Lamina can attribute it.

import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { formatErrorForLog } from './errors.mjs';

// The same global slot AWS's runtime uses, so tools that read the current id (Powertools) find it.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

const LEVELS = Object.freeze({ TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 });

export function setRequestId(id) {
  globalThis[REQUEST_ID] = id;
}

function requestId() {
  return globalThis[REQUEST_ID];
}

// Text lines: `<ISO time>\t<request id>\t<LEVEL>\t<message>`. Outside an invoke the id prints as
// "undefined", as on AWS. '\n' becomes '\r' so a multi-line message stays one log event.
function textLine(level, message, params) {
  const line = `${new Date().toISOString()}\t${requestId()}\t${level}\t${format(message, ...params)}`;
  return line.replace(/\n/g, '\r');
}

// JSON lines: {"timestamp","level","requestId","message"}; requestId is absent outside an invoke.
// A lone argument keeps its structure (an object stays an object); several are formatted to text,
// and the first Error among them is also reported as errorType/errorMessage/stackTrace.
function jsonLine(level, message, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId: requestId() };
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, expandErrors);
    } catch {
      record.message = format(message);
      return JSON.stringify(record);
    }
  }
  record.message = format(message, ...params);
  const error = params.find((param) => param instanceof Error);
  if (error) {
    record.errorType = error.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

function expandErrors(_key, value) {
  if (!(value instanceof Error)) {
    return value;
  }
  return {
    errorType: value.constructor?.name ?? 'UnknownError',
    errorMessage: value.message,
    stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    ...value,
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to fd 1 before returning. If user code touched process.stdout, Node may
 * have made the pipe non-blocking; a full pipe then answers EAGAIN and we wait 1 ms and retry.
 */
function writeLine(text) {
  const bytes = Buffer.from(text + '\n', 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') {
        return; // stdout is gone (EPIPE): losing a log line must not fail the function
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

let logErrorImpl;

/**
 * Logs an error the runtime itself reports ("Invoke Error", "Uncaught Exception"): in text as the
 * label and the error's JSON, in JSON format as one record whose message is the error.
 */
export function logError(label, error) {
  logErrorImpl(label, error instanceof Error ? error : new Error(error));
}

/**
 * Installs the console methods. AWS_LAMBDA_LOG_LEVEL drops the levels below it (FATAL always
 * passes); console.log is INFO, console.trace logs at TRACE without a stack, as on AWS.
 */
export function patchConsole(env = process.env) {
  const json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const minimum = LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const render = json ? jsonLine : textLine;

  const method = (level) =>
    LEVELS[level] >= minimum ? (message, ...params) => writeLine(render(level, message, params)) : () => {};

  console.trace = method('TRACE');
  console.debug = method('DEBUG');
  console.info = method('INFO');
  console.log = console.info;
  console.warn = method('WARN');
  console.error = method('ERROR');
  console.fatal = method('FATAL');

  logErrorImpl = json
    ? (_label, error) => console.error(error)
    : (label, error) => console.error(label, formatErrorForLog(error));
}
