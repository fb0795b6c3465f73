/**
 * On-demand GPU prices the tool knows by name. Each entry says where the price came from and
 * when, because a price without a date is a guess. Scenarios and flags can always give their
 * own price instead.
 */

export interface GpuPrice {
  id: string;
  label: string;
  gpuHourlyUsd: number;
  source: string;
  asOf: string;
}

export const GPU_CATALOG: readonly GpuPrice[] = [
  {
    id: 'h100',
    label: 'NVIDIA H100 80GB (SXM), on-demand',
    gpuHourlyUsd: 6.98,
    source: 'Patil, arXiv 2606.11690, price used for every H100 run',
    asOf: '2026-06',
  },
  {
    id: 'a100',
    label: 'NVIDIA A100 80GB PCIe, on-demand',
    gpuHourlyUsd: 3.67,
    source: 'Patil, arXiv 2606.11690, price used for every A100 run',
    asOf: '2026-06',
  },
];

const ALIASES: Record<string, string> = {
  h100: 'h100',
  'h100-80gb': 'h100',
  h100_80gb: 'h100',
  a100: 'a100',
  'a100-80gb': 'a100',
  a100_80gb: 'a100',
  a100_80gb_pcie: 'a100',
};

/** Looks up a GPU class by id or common alias, case-insensitively; undefined when unknown. */
export function findGpu(name: string): GpuPrice | undefined {
  const id = ALIASES[name.trim().toLowerCase()];
  return GPU_CATALOG.find((gpu) => gpu.id === id);
}

export const knownGpuIds = (): string[] => GPU_CATALOG.map((gpu) => gpu.id);
