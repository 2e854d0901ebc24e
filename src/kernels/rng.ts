/**
 * The TypeScript twin of the GPU sampler's counter-based RNG (shaders/sample.wgsl): Philox-4x32-10
 * (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011; Random123).
 *
 * A draw is a pure function of (seed, counter): no state, so a request's k-th sampled token uses
 * counter k and gives the same draw on every run, in every batch order and on every device.
 * Known-answer vectors from Random123's tests/kat_vectors are checked in test/gpu/sampling.test.ts.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product a·b of two u32 (the GPU builds it from 16-bit halves the same way). */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox-4x32-10 of counter (c0..c3) under key (k0, k1): four u32 words. */
export function philox4x32_10(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  let c0 = counter[0]! >>> 0;
  let c1 = counter[1]! >>> 0;
  let c2 = counter[2]! >>> 0;
  let c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return new Uint32Array([c0, c1, c2, c3]);
}

/** The sampler's uniform draw in [0, 1) for (seed, counter): 24 bits of the first word, exact in f32. */
export function sampleUniform(seedLo: number, seedHi: number, counter: number): number {
  const w = philox4x32_10([counter, 0, 0, 0], [seedLo, seedHi]);
  return (w[0]! >>> 8) / 16777216;
}
