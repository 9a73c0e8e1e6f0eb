/**
 * Vega-Lite -> Vega -> SVG without a browser (renderer 'none' estimates text
 * widths), then SVG -> PNG with resvg and a known font.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { REPORT_FONT } from './charts.js';

export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function toPng(svg: string): Uint8Array {
  const r = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: REPORT_FONT } });
  return r.render().asPng();
}
