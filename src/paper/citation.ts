/** How the project cites the reference paper wherever its numbers or figures appear. */

export const PAPER_TITLE =
  'Beyond Per-Token Pricing: A Concurrency-Aware Methodology for LLM Infrastructure ' +
  'Cost Estimation';
export const PAPER_AUTHOR = 'C. Patil';
export const PAPER_ARXIV = 'arXiv 2606.11690';
export const PAPER_URL = 'https://arxiv.org/abs/2606.11690';
export const PAPER_YEAR = 2026;

/** One line: "C. Patil, "Beyond Per-Token Pricing: …", arXiv 2606.11690 (2026)". */
export const PAPER_CITATION = `${PAPER_AUTHOR}, "${PAPER_TITLE}", ${PAPER_ARXIV} (${PAPER_YEAR})`;

/** Short form for figure footers. */
export const PAPER_SHORT = `Patil, ${PAPER_ARXIV} (${PAPER_YEAR})`;

/** The formula we apply, stated once so that reports and the catalog say the same thing. */
export const COST_FORMULA =
  'C_eff = node USD/h × 1e6 / (3600 × output tok/s); node USD/h = gpu_cost_hr ' +
  '(already the whole node: per-GPU price × GPUs; the data README multiplies by gpus again, ' +
  'which would double-count multi-GPU nodes)';
