/**
 * GPUs the simulated backend can model. Figures are the vendors' published spec-sheet peaks (dense,
 * no sparsity), not measurements: the simulator's output is labelled "simulated" wherever it appears.
 * `efficiency` factors turn peaks into what serving kernels reach; defaults are typical of published
 * vLLM profiles (about 60% of peak FLOP/s in large matmuls, 80% of bandwidth in decode), and the
 * calibration mode replaces them with factors fitted to kernels measured on the local GPU.
 */
export interface GpuSpec {
  id: string;
  name: string;
  /** Peak dense FLOP/s at the precision serving uses (FP16/BF16 tensor cores where the GPU has them). */
  peakFlops: number;
  /** Peak memory bandwidth, bytes/s. */
  memoryBandwidth: number;
  memoryBytes: number;
  /** Fixed cost per kernel launch, seconds (CUDA graphs make it small; eager launches ~5 µs). */
  launchOverheadS: number;
  source: string;
}

export const GPU_SPECS: Record<string, GpuSpec> = {
  h100: { id: 'h100', name: 'NVIDIA H100 SXM 80GB', peakFlops: 989e12, memoryBandwidth: 3.35e12, memoryBytes: 80e9, launchOverheadS: 4e-6, source: 'NVIDIA H100 datasheet (BF16 dense)' },
  a100: { id: 'a100', name: 'NVIDIA A100 SXM 80GB', peakFlops: 312e12, memoryBandwidth: 2.039e12, memoryBytes: 80e9, launchOverheadS: 5e-6, source: 'NVIDIA A100 datasheet (BF16 dense)' },
  l4: { id: 'l4', name: 'NVIDIA L4 24GB', peakFlops: 121e12, memoryBandwidth: 0.3e12, memoryBytes: 24e9, launchOverheadS: 5e-6, source: 'NVIDIA L4 datasheet (BF16 dense)' },
  rtx4090: { id: 'rtx4090', name: 'NVIDIA GeForce RTX 4090', peakFlops: 165e12, memoryBandwidth: 1.008e12, memoryBytes: 24e9, launchOverheadS: 5e-6, source: 'NVIDIA Ada whitepaper (FP16 tensor, FP16 accumulate, dense)' },
  m2: { id: 'm2', name: 'Apple M2 (10-core GPU)', peakFlops: 3.6e12, memoryBandwidth: 100e9, memoryBytes: 16e9, launchOverheadS: 10e-6, source: 'Apple M2 announcement (FP32)' },
};

export interface Efficiency {
  /** Fraction of peak FLOP/s reached by compute-bound work. */
  compute: number;
  /** Fraction of peak bandwidth reached by memory-bound work. */
  memory: number;
}

export const DEFAULT_EFFICIENCY: Efficiency = { compute: 0.6, memory: 0.8 };
