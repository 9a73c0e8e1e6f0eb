/**
 * Vega-Lite -> Vega -> SVG without a browser (renderer 'none' estimates text
 * widths), then SVG -> PNG with resvg and a known font. vega, vega-lite and
 * resvg load on first use: importing the report namespace (or the package)
 * costs nothing until a chart is rendered.
 */
import type { TopLevelSpec } from 'vega-lite';
import { REPORT_FONT } from './chart-parts.js';

export async function toSvg(spec: TopLevelSpec): Promise<string> {
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
