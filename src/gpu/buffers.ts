/**
 * Labelled buffer helpers. Every buffer carries a label (`Kernel.resource`) so validation errors and
 * captures name the culprit, and sizes are checked against the device's limits up front, so an
 * oversize request fails with the limit's name instead of a generic validation error.
 */
import { GpuLimitError } from './errors';

export const align = (n: number, to: number): number => Math.ceil(n / to) * to;

export interface BufferSpec {
  label: string;
  /** Bytes; rounded up to a multiple of 4 as WebGPU requires for writes and copies. */
  size: number;
  usage: GPUBufferUsageFlags;
  /** Initial contents, written through mappedAtCreation (no staging copy). */
  data?: ArrayBufferView;
}

/** Creates a buffer after checking `maxBufferSize` (and `maxStorageBufferBindingSize` for storage buffers). */
export function createBuffer(device: GPUDevice, spec: BufferSpec): GPUBuffer {
  const size = Math.max(4, align(spec.data ? Math.max(spec.size, spec.data.byteLength) : spec.size, 4));
  if (size > device.limits.maxBufferSize) {
    throw new GpuLimitError('maxBufferSize', size, device.limits.maxBufferSize, `Buffer "${spec.label}"`);
  }
  if (spec.usage & GPUBufferUsage.STORAGE && size > device.limits.maxStorageBufferBindingSize) {
    throw new GpuLimitError('maxStorageBufferBindingSize', size, device.limits.maxStorageBufferBindingSize, `Storage buffer "${spec.label}"`);
  }
  const buffer = device.createBuffer({ label: spec.label, size, usage: spec.usage, mappedAtCreation: !!spec.data });
  if (spec.data) {
    const src = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
    new Uint8Array(buffer.getMappedRange()).set(src);
    buffer.unmap();
  }
  return buffer;
}

/** A storage buffer kernels read and write; COPY_SRC/COPY_DST so it can be uploaded and read back. */
export function storageBuffer(device: GPUDevice, label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  return typeof sizeOrData === 'number'
    ? createBuffer(device, { label, size: sizeOrData, usage })
    : createBuffer(device, { label, size: sizeOrData.byteLength, usage, data: sizeOrData });
}

/** A uniform buffer for small per-dispatch parameters, rewritten with `queue.writeBuffer`. */
export function uniformBuffer(device: GPUDevice, label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
  const usage = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
  const size = align(typeof sizeOrData === 'number' ? sizeOrData : sizeOrData.byteLength, 16);
  return typeof sizeOrData === 'number'
    ? createBuffer(device, { label, size, usage })
    : createBuffer(device, { label, size, usage, data: sizeOrData });
}
