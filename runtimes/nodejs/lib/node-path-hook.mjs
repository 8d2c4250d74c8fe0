// Module resolve hook: a bare specifier that the normal ES module search cannot find is looked up
// again from each NODE_PATH directory in order, as require() would. `resolveSync` serves
// module.registerHooks (Node >= 22.15, in-thread); `resolve` and `initialize` serve
// module.register (Node 20, on the loader thread).

/** One file URL inside each NODE_PATH directory, used as the importing module's location. */
let parents = [];

export function initialize(data) {
  parents = data.parents;
}

export function setParents(urls) {
  parents = urls;
}

function shouldRetry(specifier, error) {
  const bare = !/^(?:[./]|[a-z][a-z0-9+.-]*:)/i.test(specifier);
  return bare && error?.code === 'ERR_MODULE_NOT_FOUND';
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!shouldRetry(specifier, error)) {
      throw error;
    }
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this directory
      }
    }
    throw error;
  }
}

export function resolveSync(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    if (!shouldRetry(specifier, error)) {
      throw error;
    }
    for (const parentURL of parents) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this directory
      }
    }
    throw error;
  }
}
