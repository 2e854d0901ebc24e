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
