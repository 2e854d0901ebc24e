/**
 * IEEE 754 binary16 (f16) conversion and the packed weight layout the matmul kernels read.
 *
 * Packed f16 layout ("two per u32"): a matrix W[N, K] of f16 values is stored row-major with a row
 * stride of `kStride = roundUp(K, 8)` halves, so every row starts on a 16-byte boundary and the
 * kernels can read it as `vec4<u32>` (8 halves) at a time. Half (n, k) sits at half index
 * n·kStride + k, i.e. in u32 word (n·kStride + k) / 2, in the low 16 bits when k is even and the high
 * 16 bits when k is odd: exactly what WGSL's `unpack2x16float` returns as (.x, .y), and the same bytes
 * as a little-endian `array<f16>`, so shader-f16 kernels read the same buffer as `array<vec4<f16>>`.
 * Pad halves (k >= K) are zero. When K is a multiple of 8 (every real model) this is byte for byte
 * the Hugging Face [out, in] f16 layout.
 *
 * Model loaders reuse `packF16Rows` (f32 checkpoints converted to f16) and `f16BitsToF32` (reading f16
 * safetensors / GGUF F16 tensors back for references).
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** f32 -> f16 bits, round to nearest even; overflow gives ±Inf, NaN stays NaN, subnormals are kept. */
export function f32ToF16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (quiet)
  // Unbiased exponent e = exp - 127; f16 normal range is e in [-14, 15].
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00; // too large: Inf
  if (e >= -14) {
    // Normal f16: keep 10 mantissa bits, round to nearest even on the 13 dropped bits.
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct (up to Inf)
    return sign | h;
  }
  if (e < -25) return sign; // below half the smallest subnormal (2^-24): ±0
  // Subnormal f16: value = m · 2^-24 with m = (1.mant) · 2^(e + 24), rounded to nearest even.
  mant |= 0x800000; // implicit leading 1
  // Bits dropped from the 24-bit significand: 13 (23 -> 10 mantissa bits) plus (-14 - e) for the denormal shift.
  const dropped = 13 + (-14 - e);
  let m = mant >>> dropped;
  const rest = mant & ((1 << dropped) - 1);
  const half = 1 << (dropped - 1);
  if (rest > half || (rest === half && (m & 1))) m++;
  return sign | m;
}

/** f16 bits -> the f32 (exactly representable) value. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The value f16 storage keeps of `value` (round trip through f16). */
export function roundToF16(value: number): number {
  return f16BitsToF32(f32ToF16Bits(value));
}

/** Row stride, in halves, of a packed f16 matrix with K columns: roundUp(K, 8). */
export function f16RowStride(k: number): number {
  return Math.ceil(k / 8) * 8;
}

/**
 * Packs W[rows, k] (f32, row-major, stride k) into the packed f16 layout above: rows·kStride/2 u32
 * words, pad halves zero.
 */
export function packF16Rows(w: ArrayLike<number>, rows: number, k: number): Uint32Array {
  if (w.length < rows * k) throw new RangeError(`packF16Rows: ${w.length} values < rows ${rows} × k ${k}`);
  const stride = f16RowStride(k);
  const out = new Uint32Array((rows * stride) / 2);
  for (let r = 0; r < rows; r++) {
    const src = r * k;
    const dst = (r * stride) / 2;
    for (let c = 0; c < k; c += 2) {
      const lo = f32ToF16Bits(w[src + c]!);
      const hi = c + 1 < k ? f32ToF16Bits(w[src + c + 1]!) : 0;
      out[dst + c / 2] = (lo | (hi << 16)) >>> 0;
    }
  }
  return out;
}

/** Inverse of packF16Rows: the f32 values W[rows, k] (stride k) that the packed buffer holds. */
export function unpackF16Rows(packed: Uint32Array, rows: number, k: number): Float32Array {
  const stride = f16RowStride(k);
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      const word = packed[(r * stride + c) >>> 1]!;
      out[r * k + c] = f16BitsToF32(c & 1 ? word >>> 16 : word & 0xffff);
    }
  }
  return out;
}
