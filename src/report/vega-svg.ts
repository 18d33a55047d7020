// Vega-Lite -> Vega -> SVG string, in Node, with no DOM and no network: the specs carry
// their data inline, so the loader is never asked for anything.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The spec as a reader would save it: with its $schema, so editors and the Vega editor accept it. */
export function withSchema(spec: TopLevelSpec): TopLevelSpec {
  return { $schema: SCHEMA, ...spec } as TopLevelSpec;
}

const noNetwork = vega.loader();
noNetwork.load = async (uri: string) => {
  throw new Error(`the report loads nothing (asked for ${uri})`);
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const runtime = vega.parse(compile(spec).spec);
  const view = new vega.View(runtime, { renderer: 'none', loader: noNetwork });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The same SVG for inlining in HTML: the HTML parser puts <svg> in the SVG namespace by
 * itself, so the xmlns declarations (namespace names, not references) are dropped there.
 */
export function inlineSvg(svg: string): string {
  return svg.replace(/^<svg\b([^>]*)>/, (_m, attrs: string) => `<svg${attrs.replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')}>`);
}
