// Lamina's managed Node.js runtime: a pure-JS client of the Lambda Runtime API that loads the
// function's handler and serves invocations with the behaviour of AWS's nodejs20.x/22.x runtime.
// Started by ./bootstrap; see README.md for what it implements and where it differs from AWS.

import { RuntimeClient } from './lib/client.mjs';
import { UnhandledPromiseRejection } from './lib/errors.mjs';
import { Runtime } from './lib/invoke.mjs';
import { handlerMetadata, loadHandler } from './lib/loader.mjs';
import { logError, patchConsole } from './lib/logging.mjs';
import { installAwsLambdaGlobal } from './lib/streaming.mjs';

// Exit codes of AWS's runtime after reporting an uncaught exception / unhandled rejection; the
// platform then resets the environment, so no later invoke runs in a broken process.
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const EXIT_INIT_ERROR = 1;

patchConsole();
installAwsLambdaGlobal();

const client = new RuntimeClient(process.env.AWS_LAMBDA_RUNTIME_API ?? '127.0.0.1:9001');
let runtime = null;
let crashing = false;

/** Reports the error where it belongs (init or the current invoke), then ends the process. */
function crash(error, exitCode) {
  if (crashing) {
    return;
  }
  crashing = true;
  const report = runtime === null ? client.postInitError(error) : runtime.reportCrash(error);
  report.catch(() => {}).finally(() => process.exit(exitCode));
}

process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error);
  crash(error, EXIT_UNCAUGHT_EXCEPTION);
});

process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  crash(error, EXIT_UNHANDLED_REJECTION);
});

/** The handler and its metadata, or null after reporting why it could not be loaded. */
async function loadUserHandler() {
  try {
    const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER);
    return { handler, metadata: handlerMetadata(handler) };
  } catch (error) {
    // AWS's runtime logs a load failure through its uncaught-exception path, hence the label.
    logError('Uncaught Exception', error);
    crash(error, EXIT_INIT_ERROR);
    return null;
  }
}

const loaded = await loadUserHandler();
if (loaded !== null) {
  runtime = new Runtime(client, loaded.handler, loaded.metadata);
  // Not awaited: a top-level await still pending when the event loop empties ends the process
  // with code 13, and waiting for an empty loop is part of the programming model.
  runtime.run().catch((error) => {
    if (!crashing) {
      // The Runtime API failed or went away: nothing can be reported, and Lamina resets on exit.
      console.error(`Unexpected Top Level Error: ${error}`);
      process.exit(EXIT_UNCAUGHT_EXCEPTION);
    }
  });
}
