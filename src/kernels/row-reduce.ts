/**
 * How the one-row-per-workgroup kernels (rmsnorm, the sampler's row statistics) reduce a row, chosen per
 * adapter. One explicit rule, documented here and in each shader header:
 *
 * - `subgroup-row`: the workgroup IS one subgroup (WG = the adapter's smallest subgroup size, so every
 *   invocation of the workgroup sits in one subgroup whatever size the driver picks); the row's sum / max
 *   is one subgroupAdd / subgroupMax: no workgroup memory and no barrier at all. Used where the device has
 *   `subgroups` and either the row has at most 32 elements per lane (rowLen <= 32 * subgroupMinSize: on
 *   NVIDIA a warp per row up to 1024 elements, llama.cpp's CUDA rms_norm rule), or the adapter is a CPU
 *   (software: SwiftShader runs a workgroup's invocations on one core, a barrier switches every subgroup's
 *   coroutine, and extra threads buy no parallelism; measured in bench/results/model.md).
 * - `subgroup-wide`: WG threads (default 256) per row; each subgroup sums with subgroupAdd, the subgroups'
 *   sums meet in workgroup memory after ONE barrier. Used where the device has `subgroups` and the row is
 *   longer (hardware: enough threads per row to keep a few long rows loading).
 * - `workgroup`: WG threads per row and a halving tree in workgroup memory (log2(WG) + 1 barriers). Used
 *   without `subgroups` (Dawn's OpenGL ES backend, compatibility mode). WG is fitted to the row: the
 *   smallest power of two >= rowLen / 8, between 32 and the cap (256 by default).
 * The subgroup variants need no subgroup size at compile time; `subgroup-wide` assumes (as
 * attention-subgroups.wgsl does) that local_invocation_index maps to subgroups in order, so subgroup k of
 * the workgroup holds invocations k * sg_size .. (k + 1) * sg_size - 1 (Vulkan on NVIDIA, AMD, Intel, and
 * SwiftShader).
 */
import { workgroupSizeFor } from './grid';

export type RowReduce = 'subgroup-row' | 'subgroup-wide' | 'workgroup';

export interface RowTraits {
  subgroups: boolean;
  /** The adapter's smallest subgroup size (4, WebGPU's minimum, where the adapter does not say). */
  subgroupMinSize: number;
  isSoftware: boolean;
}

/** What the device says about itself (device.adapterInfo; features iterated: Dawn's Node binding has no .has). */
export function rowTraits(device: GPUDevice): RowTraits {
  const features = new Set<string>(device.features as unknown as Iterable<string>);
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo as
    | (GPUAdapterInfo & { subgroupMinSize?: number; isFallbackAdapter?: boolean })
    | undefined;
  const text = `${info?.architecture ?? ''} ${info?.description ?? ''} ${info?.device ?? ''}`;
  return {
    subgroups: features.has('subgroups'),
    subgroupMinSize: Math.max(4, info?.subgroupMinSize || 4),
    isSoftware: /swiftshader|llvmpipe|lavapipe|software|warp|basic render/i.test(text) || info?.isFallbackAdapter === true,
  };
}

export interface RowShape {
  reduce: RowReduce;
  /** Threads per workgroup (= per row). */
  workgroupSize: number;
}

/**
 * The rule above. `cap` bounds WG of the wide variants (rounded down to a power of two the device allows);
 * `force` picks a variant (tests, benchmarks): with it, `subgroup-row` takes WG = subgroupMinSize and the
 * other two take WG = cap exactly (no fitting), which with cap 256 is the pre-session-2 rmsnorm / sampler.
 */
export function chooseRowShape(device: GPUDevice, rowLen: number, cap = 256, force?: RowReduce, traits = rowTraits(device)): RowShape {
  const capped = workgroupSizeFor(device, cap);
  const sg = workgroupSizeFor(device, traits.subgroupMinSize);
  if (force) {
    if (force !== 'workgroup' && !traits.subgroups) throw new RangeError(`row reduce '${force}' needs the subgroups feature`);
    return { reduce: force, workgroupSize: force === 'subgroup-row' ? sg : capped };
  }
  if (traits.subgroups && (traits.isSoftware || rowLen <= 32 * sg)) return { reduce: 'subgroup-row', workgroupSize: sg };
  if (traits.subgroups) return { reduce: 'subgroup-wide', workgroupSize: capped };
  const fitted = 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(rowLen / 8))));
  return { reduce: 'workgroup', workgroupSize: Math.min(capped, Math.max(32, fitted)) };
}
