/**
 * Element types of stored tensors and their conversions to float32.
 *
 * - f32: IEEE binary32. f16: IEEE binary16. bf16: the top 16 bits of a binary32.
 * - q8_0 (GGUF/ggml): blocks of 32 values along the innermost dimension, each block 34 bytes =
 *   f16 scale d, then 32 int8 q; value = d * q. The loaders dequantize q8_0 to f32 on load (the GPU
 *   kernels take f32 or f16, and f32 keeps the reference exact), so q8_0 never reaches the runner.
 */
export type DType = 'f32' | 'f16' | 'bf16';
export type StoredDType = DType | 'q8_0';

export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 34;

/** Bytes a tensor of `count` elements occupies in `dtype` (q8_0: count must be a multiple of 32). */
export function byteSize(dtype: StoredDType, count: number): number {
  switch (dtype) {
    case 'f32':
      return count * 4;
    case 'f16':
    case 'bf16':
      return count * 2;
    case 'q8_0':
      return (count / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** binary16 bits -> number (exact). */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** number -> binary16 bits, round to nearest even (for writers and tests). */
export function f32ToF16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** number -> bf16 bits, round to nearest even. */
export function f32ToBf16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (little-endian) into a Float32Array. For f32 data that
 * is 4-byte aligned this is a view, not a copy.
 */
export function toFloat32(bytes: Uint8Array, dtype: StoredDType, count: number): Float32Array {
  const need = byteSize(dtype, count);
  if (bytes.byteLength < need) throw new RangeError(`toFloat32: ${dtype} x ${count} needs ${need} bytes, got ${bytes.byteLength}`);
  if (dtype === 'f32') {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    return new Float32Array(bytes.slice(0, need).buffer);
  }
  const out = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
  if (dtype === 'f16') {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
  } else if (dtype === 'bf16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u[i] = dv.getUint16(2 * i, true) << 16;
  } else {
    const blocks = count / Q8_0_BLOCK;
    for (let b = 0; b < blocks; b++) {
      const base = b * Q8_0_BLOCK_BYTES;
      const d = f16ToF32(dv.getUint16(base, true));
      for (let i = 0; i < Q8_0_BLOCK; i++) out[b * Q8_0_BLOCK + i] = d * dv.getInt8(base + 2 + i);
    }
  }
  return out;
}

/** Encodes float values as `dtype` bytes (writers, synthetic models, tests). q8_0 uses ggml's scale amax/127. */
export function fromFloat32(values: ArrayLike<number>, dtype: StoredDType): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(byteSize(dtype, n));
  const dv = new DataView(out.buffer);
  if (dtype === 'f32') {
    for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i]!, true);
  } else if (dtype === 'f16') {
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToF16(values[i]!), true);
  } else if (dtype === 'bf16') {
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(values[i]!), true);
  } else {
    if (n % Q8_0_BLOCK !== 0) throw new RangeError(`q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${n}`);
    for (let b = 0; b < n / Q8_0_BLOCK; b++) {
      let amax = 0;
      for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[b * Q8_0_BLOCK + i]!));
      const d = amax / 127;
      const id = d ? 1 / d : 0;
      const base = b * Q8_0_BLOCK_BYTES;
      dv.setUint16(base, f32ToF16(d), true);
      for (let i = 0; i < Q8_0_BLOCK; i++) dv.setInt8(base + 2 + i, Math.round(values[b * Q8_0_BLOCK + i]! * id));
    }
  }
  return out;
}
