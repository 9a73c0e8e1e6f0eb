/**
 * Vega-Lite -> Vega -> SVG without a browser (renderer 'none' estimates text
 * widths), then SVG -> PNG with resvg and a known font. vega, vega-lite and
 * resvg load on first use: importing the report namespace (or the package)
 * costs nothing until a chart is rendered.
 */
import type { TopLevelSpec } from 'vega-lite';
import { REPORT_FONT, type VegaLiteJson } from './chart-parts.js';

/** The view kinds a top-level Vega-Lite spec is one of (vega-lite's TopLevelSpec union, by its defining key). */
const VIEW_KEYS = ['mark', 'layer', 'facet', 'repeat', 'concat', 'hconcat', 'vconcat'];

/**
 * A chart's JSON is a top-level Vega-Lite spec when it has one view kind; compile checks the rest.
 * `$schema` is optional in Vega-Lite (a library caller may leave it out), so it is not required here.
 */
function isTopLevelSpec(spec: VegaLiteJson): spec is VegaLiteJson & TopLevelSpec {
  return VIEW_KEYS.some((k) => k in spec);
}

export async function toSvg(spec: VegaLiteJson): Promise<string> {
  if (!isTopLevelSpec(spec)) throw new Error(`not a top-level Vega-Lite spec (none of ${VIEW_KEYS.join(', ')})`);
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function toPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: REPORT_FONT } });
  return r.render().asPng();
}
