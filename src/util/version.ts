import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The tool's version, from package.json; written into every manifest and report. */
export const TOOL_VERSION: string = pkg.version;
