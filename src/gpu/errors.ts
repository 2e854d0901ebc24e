/**
 * Typed GPU errors. WebGPU reports problems through error scopes and `device.lost`; the rest of the
 * engine catches these classes to decide what to tell the user and whether to requeue work.
 */

export class GpuError extends Error {
  override name = 'GpuError';
}

/** `navigator.gpu` is missing or gave no adapter; `hint` says how to get WebGPU. */
export class WebGpuUnavailableError extends GpuError {
  override name = 'WebGpuUnavailableError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A validation error captured by an error scope: a bug in our code or an input the device cannot take. */
export class GpuValidationError extends GpuError {
  override name = 'GpuValidationError';
  constructor(
    readonly label: string,
    readonly gpuMessage: string,
  ) {
    super(`${label}: WebGPU validation error: ${gpuMessage}`);
  }
}

/** The device could not allocate what was asked; `bytes` says how much the failing operation wanted, when known. */
export class GpuOutOfMemoryError extends GpuError {
  override name = 'GpuOutOfMemoryError';
  constructor(
    readonly label: string,
    readonly gpuMessage: string,
    readonly bytes?: number,
  ) {
    super(`${label}: GPU out of memory${bytes ? ` allocating ${formatBytes(bytes)}` : ''}: ${gpuMessage}`);
  }
}

export class GpuInternalError extends GpuError {
  override name = 'GpuInternalError';
  constructor(
    readonly label: string,
    readonly gpuMessage: string,
  ) {
    super(`${label}: WebGPU internal error: ${gpuMessage}`);
  }
}

/** The device is gone (driver reset, tab in background too long, `destroy()`); everything on it must be recreated. */
export class DeviceLostError extends GpuError {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: GPUDeviceLostReason | 'unknown',
    readonly gpuMessage: string,
  ) {
    super(`GPU device lost (${reason}): ${gpuMessage || 'no message'}`);
  }
}

/** A request exceeds a device limit; names the limit so the message can say what would fit. */
export class GpuLimitError extends GpuError {
  override name = 'GpuLimitError';
  constructor(
    readonly limit: string,
    readonly requested: number,
    readonly allowed: number,
    what: string,
  ) {
    super(`${what} needs ${limit} = ${formatBytes(requested)} but this device allows ${formatBytes(allowed)}.`);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Turns a popped GPUError into one of our typed errors. */
export function toTypedError(error: GPUError, label: string, bytes?: number): GpuError {
  // By class name, not instanceof: Dawn in Node defines these classes only once `globals` are installed.
  const kind = error.constructor.name;
  if (kind === 'GPUOutOfMemoryError') return new GpuOutOfMemoryError(label, error.message, bytes);
  if (kind === 'GPUValidationError') return new GpuValidationError(label, error.message);
  return new GpuInternalError(label, error.message);
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the first captured
 * error as a typed exception. Scopes are popped even when `fn` throws, so the stack stays balanced.
 * For setup work (allocations, pipeline creation), not the per-step hot path: popping costs a round trip.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  label: string,
  fn: () => T | Promise<T>,
  bytes?: number,
): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const [validation, oom, internal] = await Promise.all([
      device.popErrorScope(),
      device.popErrorScope(),
      device.popErrorScope(),
    ]);
    const first = oom ?? validation ?? internal;
    if (first) throw toTypedError(first, label, bytes);
  }
  return result;
}
