import { describe, expect, it } from 'vitest';
import { buildCurves } from '../../src/paper/curves.ts';
import type { PaperData, PaperRun } from '../../src/paper/data.ts';
import { computeHeadline } from '../../src/paper/headline.ts';
import { escapeHtml, renderIndexHtml } from '../../src/paper/html.ts';

const HOSTILE = '<script>alert("x")</script>';

function run(rateRps: number, outputTokPerS: number): PaperRun {
  const latency = { ttftMeanMs: 1, ttftP50Ms: 1, ttftP90Ms: 1, ttftP99Ms: 1, e2eP50Ms: 1 };
  return {
    ...latency,
    file: 'x.csv',
    line: rateRps,
    config: `Z${HOSTILE}`,
    engine: 'vllm',
    modelId: `org/${HOSTILE}`,
    architecture: 'dense',
    activeParamsB: 1,
    precision: 'fp8',
    hardware: 'H100',
    gpus: 1,
    rateRps,
    completedRps: outputTokPerS / 256,
    outputTokPerS,
    e2eP90Ms: 1,
    e2eP99Ms: 1,
    tpotP50Ms: 1,
    tpotP90Ms: 1,
    gpuUtilPct: null,
    gpuPowerW: null,
    nodeHourlyUsd: 6.98,
    published: { cEffUsdPerMTok: 1, cNaiveUsdPerMTok: 1, penalty: 1 },
  };
}

describe('index.html', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
  });

  it('escapes every text that comes from data: config ids, model ids, titles, file names', () => {
    const data: PaperData = {
      dir: `/tmp/${HOSTILE}`,
      runs: [run(1, 256), run(5, 1000)],
      shapeRuns: null,
      stability: null,
    };
    const curves = buildCurves(data.runs);
    const figure = {
      id: 'R1',
      file: `f"${HOSTILE}`,
      title: HOSTILE,
      caption: HOSTILE,
      svg: '<svg/>',
    };
    const html = renderIndexHtml(computeHeadline(data, curves), curves, [figure]);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // The SVG travels base64-encoded inside a data URL, never as markup.
    expect(html).toContain(
      `src="data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}"`,
    );
  });
});
