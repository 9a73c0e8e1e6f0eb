// Module resolve hook (registered with node:module's register): reports every
// vega, resvg, zod, ml-matrix or piscina module that gets resolved, so a test can tell what an import loaded.
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/node_modules\/(vega|vega-lite|@resvg|zod|ml-matrix|piscina)\//.test(r.url)) process.stderr.write(`loaded ${r.url}\n`);
  return r;
}
