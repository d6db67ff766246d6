// Module hooks registered by node-compat.mjs.
const shim = new URL('./node-compat-util.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === 'node:util' || specifier === 'util') && context.parentURL && context.parentURL !== shim) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
