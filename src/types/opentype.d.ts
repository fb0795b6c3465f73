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
