/**
 * Dispatch-size helpers shared by the row-per-workgroup kernels (rmsnorm, rope, silu-mul, embedding,
 * logits gather, sample): their token or row count is a grid dimension, so it must fit in
 * maxComputeWorkgroupsPerDimension (65535 by default); a bigger step fails here, naming the limit,
 * instead of with a validation error at submit.
 */
export function checkRows(device: GPUDevice, kernel: string, rows: number): void {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${kernel}: row count ${rows} is not a non-negative integer`);
  if (rows > max) throw new RangeError(`${kernel}: ${rows} rows exceed maxComputeWorkgroupsPerDimension (${max}); split the step`);
}

/** The workgroup size to use: `wanted` capped by the device, rounded down to a power of two. */
export function workgroupSizeFor(device: GPUDevice, wanted: number): number {
  const n = Math.min(wanted, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/**
 * Threads per row for the one-workgroup-per-row kernels (rmsnorm, sample), chosen per adapter:
 * - hardware GPUs: 256, so a decode step's few rows still keep a whole SM/CU's lanes loading and the
 *   tree reductions are 8 steps;
 * - software adapters (SwiftShader): 64. There every workgroup barrier costs in proportion to the
 *   threads it joins (measured in Chromium 156 / SwiftShader, 2 cores: rmsnorm 64×4096 took 69 ms at
 *   256 threads, 36 at 128, 20 at 64; greedy sampling 8×32000 46 / 35 / 15 ms), and the rows are many
 *   more than the 2 cores anyway.
 * The callers (engine, benchmarks) pass this as `workgroupSize`; the kernels' own default is 256.
 */
export function rowWorkgroupSize(adapter: { isSoftware: boolean }): number {
  return adapter.isSoftware ? 64 : 256;
}
