// Type declarations for packages that ship none, or entry points their types do not cover.

// The few parts of opentype.js the chart renderer uses (the package ships no types, and Node
// loads its UMD build, so everything hangs off the default export).
declare module 'opentype.js' {
  export interface Glyph {
    advanceWidth?: number;
  }
  export interface Font {
    unitsPerEm: number;
    charToGlyph(char: string): Glyph;
  }
  const opentype: { parse(buffer: ArrayBuffer): Font };
  export default opentype;
}

// ECharts' single-file ES build: the same API as the package root, typed by it.
declare module 'echarts/dist/echarts.esm.min.mjs' {
  export * from 'echarts';
}
