// Finds the function's handler from `_HANDLER` ("[dir/]module.fn[.nested]") under LAMBDA_TASK_ROOT,
// with the lookup order, module formats and Runtime.* errors of AWS's Node.js runtime.

import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.mjs';
import { resolveSync, setParents } from './node-path-hook.mjs';
import { HIGH_WATER_MARK, STREAM_RESPONSE, STREAMING } from './streaming.mjs';

const require = module.createRequire(import.meta.url);
const MODULE_AND_PATH = /^([^.]*)\.(.*)$/;

/**
 * Loads the handler function.
 * @throws MalformedHandlerName, ImportModuleError, UserCodeSyntaxError, HandlerNotFound, or
 *   whatever the module's own top-level code throws.
 */
export async function loadHandler(taskRoot, handlerString = '') {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const name = path.basename(handlerString);
  const moduleDir = path.resolve(taskRoot, handlerString.slice(0, handlerString.length - name.length));
  const match = MODULE_AND_PATH.exec(name);
  if (!match) {
    throw new MalformedHandlerName('Bad handler');
  }
  const [, moduleName, propertyPath] = match;

  const userModule = await importUserModule(taskRoot, moduleDir, moduleName);
  const handler = lookup(userModule, propertyPath) ?? lookup(userModule?.default, propertyPath);
  if (!handler) {
    throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${handlerString} is not a function`);
  }
  return handler;
}

/** What the invoke loop needs to know about a handler. */
export function handlerMetadata(handler) {
  const mode = handler[STREAMING];
  if (mode !== undefined && mode !== null && mode !== false && mode !== STREAM_RESPONSE) {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  const highWaterMark = Number.parseInt(handler[HIGH_WATER_MARK], 10);
  return {
    streaming: mode === STREAM_RESPONSE,
    highWaterMark: Number.isNaN(highWaterMark) ? undefined : highWaterMark,
    isAsync: handler.constructor?.name === 'AsyncFunction',
  };
}

function lookup(root, propertyPath) {
  return propertyPath.split('.').reduce((value, key) => value?.[key], root);
}

async function importUserModule(taskRoot, moduleDir, moduleName) {
  try {
    const file = path.join(moduleDir, moduleName);
    // No file of that name: let require search NODE_PATH and node_modules from the task root and
    // the handler's directory, which is how a handler can live in a layer.
    return (await loadFile(file)) ?? require(require.resolve(moduleName, { paths: [taskRoot, moduleDir] }));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new UserCodeSyntaxError(error);
    }
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new ImportModuleError(error);
    }
    throw error;
  }
}

/**
 * Tries `<file>` (CommonJS; a directory loads its index), then `.js` (CommonJS unless the nearest
 * package.json says "type":"module"), `.mjs`, `.cjs`. Returns undefined when none exists.
 */
async function loadFile(file) {
  if (existsSync(file)) {
    return require(file);
  }
  const esm = packageTypeIsModule(path.dirname(file));
  if (existsSync(file + '.js')) {
    return esm ? importEsm(file + '.js') : require(file + '.js');
  }
  if (existsSync(file + '.mjs')) {
    return importEsm(file + '.mjs');
  }
  if (existsSync(file + '.cjs')) {
    return require(file + '.cjs');
  }
  return undefined;
}

/** The nearest package.json decides; the search stops at node_modules and at the root. */
function packageTypeIsModule(dir) {
  for (;;) {
    if (dir.endsWith(`${path.sep}node_modules`)) {
      return false;
    }
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8'))?.type === 'module';
      } catch (error) {
        console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, error);
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return false;
    }
    dir = parent;
  }
}

let nodePathHookRegistered = false;

/**
 * ES modules ignore NODE_PATH, yet on Lambda `import ... from '@aws-sdk/client-lambda'` works from
 * /var/task, and layers under /opt/nodejs serve ESM code too. A resolve hook that falls back to the
 * NODE_PATH directories gives the same result. On Node 20 the hook runs on a loader thread, which
 * costs ~40 ms of cold start, so only ES module handlers install it.
 */
function importEsm(file) {
  if (!nodePathHookRegistered) {
    nodePathHookRegistered = true;
    const parents = (process.env.NODE_PATH ?? '')
      .split(path.delimiter)
      .filter((dir) => path.isAbsolute(dir))
      .map((dir) => pathToFileURL(path.join(dir, 'noop.js')).href);
    if (parents.length > 0 && typeof module.registerHooks === 'function') {
      setParents(parents);
      module.registerHooks({ resolve: resolveSync });
    } else if (parents.length > 0) {
      module.register('./node-path-hook.mjs', { parentURL: import.meta.url, data: { parents } });
    }
  }
  return import(pathToFileURL(file).href);
}
