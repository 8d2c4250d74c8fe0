// Error types the runtime raises, and the shapes errors take on the wire and in the log.
// Names and shapes follow AWS's Node.js runtime (aws-lambda-ric 3.x), because callers parse them.

import { types } from 'node:util';

// The prototype carries the name so that `stack` starts with it, e.g.
// "Runtime.ImportModuleError: Error: Cannot find module 'index'".
export class ImportModuleError extends Error {
  static {
    this.prototype.name = 'Runtime.ImportModuleError';
  }

  constructor(cause) {
    super(String(cause));
  }
}

export class UserCodeSyntaxError extends Error {
  static {
    this.prototype.name = 'Runtime.UserCodeSyntaxError';
  }

  constructor(cause) {
    super(String(cause));
  }
}

export class HandlerNotFound extends Error {
  static {
    this.prototype.name = 'Runtime.HandlerNotFound';
  }
}

export class MalformedHandlerName extends Error {
  static {
    this.prototype.name = 'Runtime.MalformedHandlerName';
  }
}

export class MalformedStreamingHandler extends Error {
  static {
    this.prototype.name = 'Runtime.MalformedStreamingHandler';
  }
}

export class InvalidStreamingOperation extends Error {
  static {
    this.prototype.name = 'Runtime.InvalidStreamingOperation';
  }
}

/** An async handler whose promise was still pending when the event loop ran dry. */
export class NodeJsExit extends Error {
  static {
    this.prototype.name = 'Runtime.NodeJsExit';
  }

  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

export class UnhandledPromiseRejection extends Error {
  static {
    this.prototype.name = 'Runtime.UnhandledPromiseRejection';
  }

  constructor(reason, promise) {
    super(String(reason));
    this.reason = reason;
    this.promise = promise;
  }
}

function isErrorLike(value) {
  return (
    types.isNativeError(value) ||
    (typeof value?.name === 'string' && typeof value.message === 'string' && typeof value.stack === 'string')
  );
}

/**
 * The body posted to /invocation/{id}/error and /init/error: {"errorType","errorMessage","trace"}.
 * Anything thrown that is not an Error (a string, `callback('failed')`) is typed by `typeof`.
 */
export function errorBody(error) {
  try {
    if (isErrorLike(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    // A getter that throws, or an object whose toString does: still report something.
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/**
 * How the runtime logs an error in text mode: a tab, then JSON with the non-enumerable name,
 * message and stack made visible, e.g. `Invoke Error \t{"errorType":"Error","errorMessage":"boom","stack":[...]}`.
 */
export function formatErrorForLog(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => (value instanceof Error ? expandError(value) : value));
  } catch {
    return '\t' + JSON.stringify(errorBody(error));
  }
}

function expandError(error) {
  const expanded = { errorType: error.name, errorMessage: error.message, code: error.code, ...error };
  if (typeof error.stack === 'string') {
    expanded.stack = error.stack.split('\n');
  }
  return expanded;
}

// Header values may hold only Latin-1; escaping everything past ASCII keeps the JSON valid.
const NON_ASCII = /[\u007f-\uffff]/g;
const MAX_XRAY_CAUSE = 1024 * 1024;
const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+)(?::\d+)?\)?$/;

/**
 * The X-Ray "cause" document sent in Lambda-Runtime-Function-XRay-Error-Cause:
 * {"working_directory","exceptions":[{"type","message","stack":[{"path","line","label"}]}],"paths"}.
 * Returns undefined when there is nothing useful or it would be too large for a header.
 */
export function xrayCause(error) {
  if (!isErrorLike(error)) {
    return undefined;
  }
  try {
    const stack = [];
    for (const line of String(error.stack).split('\n').slice(1)) {
      const match = FRAME.exec(line);
      if (match) {
        stack.push({ path: match[2].replace(/^file:\/\//, ''), line: Number(match[3]), label: match[1] ?? 'anonymous' });
      }
    }
    const cause = {
      working_directory: process.cwd(),
      exceptions: [{ type: error.name, message: error.message, stack }],
      paths: [...new Set(stack.map((frame) => frame.path))],
    };
    const json = JSON.stringify(cause).replace(NON_ASCII, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    return json.length <= MAX_XRAY_CAUSE ? json : undefined;
  } catch {
    return undefined;
  }
}
