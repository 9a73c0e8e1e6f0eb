/**
 * The browser builds of vega, vega-lite and vega-embed, read from
 * node_modules so index.html can inline them and work offline. Their
 * package exports hide build/, so locate each package directory from its
 * resolved entry point.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  const entry = require.resolve(name);
  const marker = `${join('node_modules', name)}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot locate the ${name} package directory from ${entry}`);
  return entry.slice(0, at + marker.length);
}

export interface Bundles {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
}

export function browserBundles(): Bundles {
  const read = (pkg: string, file: string) => readFileSync(join(packageDir(pkg), 'build', file), 'utf8');
  return { vega: read('vega', 'vega.min.js'), vegaLite: read('vega-lite', 'vega-lite.min.js'), vegaEmbed: read('vega-embed', 'vega-embed.min.js') };
}
