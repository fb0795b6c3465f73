/**
 * Model architectures the simulator knows, from each model's published config.json. Parameter
 * counts are in billions and split the way a step's cost splits: the input embedding table is
 * only gathered, the expert weights are touched per routed token, the rest is read every step.
 */

export type ModelId = 'llama3.1-8b' | 'qwen3-30b-a3b' | 'mixtral-8x7b' | 'demo-1b' | 'tiny-llama';

export interface ModelSpec {
  id: ModelId;
  /** The name a vLLM serving it reports (the paper's Hugging Face ids). */
  servedName: string;
  architecture: 'dense' | 'moe';
  totalParamsB: number;
  /** Input embedding table: looked up, not streamed through the GEMMs. */
  embeddingParamsB: number;
  /** All routed experts of all layers together (0 for dense models). */
  expertParamsB: number;
  experts: number;
  expertsPerToken: number;
  layers: number;
  hiddenSize: number;
  queryHeads: number;
  kvHeads: number;
  headDim: number;
  maxModelLen: number;
}

export const MODELS: Record<ModelId, ModelSpec> = {
  'llama3.1-8b': {
    id: 'llama3.1-8b',
    servedName: 'meta-llama/Meta-Llama-3.1-8B-Instruct',
    architecture: 'dense',
    totalParamsB: 8.03,
    embeddingParamsB: 0.525,
    expertParamsB: 0,
    experts: 0,
    expertsPerToken: 0,
    layers: 32,
    hiddenSize: 4096,
    queryHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxModelLen: 131072,
  },
  'qwen3-30b-a3b': {
    id: 'qwen3-30b-a3b',
    servedName: 'Qwen/Qwen3-30B-A3B-Instruct-2507',
    architecture: 'moe',
    totalParamsB: 30.53,
    embeddingParamsB: 0.311,
    // 48 layers × 128 experts × 3 × 2048 × 768
    expertParamsB: 28.99,
    experts: 128,
    expertsPerToken: 8,
    layers: 48,
    hiddenSize: 2048,
    queryHeads: 32,
    kvHeads: 4,
    headDim: 128,
    maxModelLen: 262144,
  },
  'mixtral-8x7b': {
    id: 'mixtral-8x7b',
    servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    architecture: 'moe',
    totalParamsB: 46.7,
    embeddingParamsB: 0.131,
    // 32 layers × 8 experts × 3 × 4096 × 14336
    expertParamsB: 45.1,
    experts: 8,
    expertsPerToken: 2,
    layers: 32,
    hiddenSize: 4096,
    queryHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxModelLen: 32768,
  },
  // The dummy-weight Llama of scripts/make-tiny-model that the real CPU vLLM serves as `tiny`:
  // 2,048-token vocabulary, hidden 256, 2 layers of 4 heads × 64, MLP 512, untied LM head.
  // Per layer 4·256² (attention) + 3·256·512 (MLP) + 2·256 (norms) = 655,872 parameters.
  'tiny-llama': {
    id: 'tiny-llama',
    servedName: 'tiny',
    architecture: 'dense',
    // 2048·256 (embedding) + 2·655,872 + 256 (final norm) + 2048·256 (LM head) = 2,360,576
    totalParamsB: 0.002360576,
    embeddingParamsB: 0.000524288,
    expertParamsB: 0,
    experts: 0,
    expertsPerToken: 0,
    layers: 2,
    hiddenSize: 256,
    queryHeads: 4,
    kvHeads: 4,
    headDim: 64,
    maxModelLen: 2048,
  },
  // Synthetic small model for the demo profile.
  'demo-1b': {
    id: 'demo-1b',
    servedName: 'demo-1b',
    architecture: 'dense',
    totalParamsB: 1.1,
    embeddingParamsB: 0.1,
    expertParamsB: 0,
    experts: 0,
    expertsPerToken: 0,
    layers: 16,
    hiddenSize: 2048,
    queryHeads: 16,
    kvHeads: 4,
    headDim: 64,
    maxModelLen: 4096,
  },
};

/** Weights read by every step whatever the batch: attention, norms, router, LM head. */
export const sharedParamsB = (m: ModelSpec): number =>
  m.totalParamsB - m.embeddingParamsB - m.expertParamsB;

/** Parameters one token multiplies through (2 FLOPs each). */
export const activeParamsB = (m: ModelSpec): number =>
  sharedParamsB(m) + (m.experts > 0 ? (m.expertParamsB * m.expertsPerToken) / m.experts : 0);

/** KV-cache bytes one token occupies across all layers (K and V). */
export const kvBytesPerToken = (m: ModelSpec, bytesPerKvElement: number): number =>
  2 * m.layers * m.kvHeads * m.headDim * bytesPerKvElement;

/**
 * Expected number of distinct experts per layer that `tokens` routed tokens touch, each choosing
 * `k` of `E` experts: E × (1 − (1 − k/E)^tokens). Decode batches of a few sequences read a
 * fraction of the experts; a prefill chunk reads them all.
 */
export function expectedExpertsTouched(m: ModelSpec, tokens: number): number {
  if (m.experts === 0 || tokens <= 0) return 0;
  return m.experts * (1 - (1 - m.expertsPerToken / m.experts) ** tokens);
}
