/**
 * Plain-TypeScript reference for shaders/matmul*.wgsl, accumulating in f64:
 *   y[m, n] = sum_k x[m, k] · W[n, k] (+ residual[m, n])
 * Inputs are unpadded row-major: x (M, K), W (N, K) (for f16 weights pass the values f16 storage keeps:
 * `unpackF16Rows(packF16Rows(w))`), residual (M, N). Returns y (M, N) rounded to f32.
 */
export function matmulReference(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  M: number,
  N: number,
  K: number,
  residual?: ArrayLike<number>,
): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = residual ? residual[m * N + n]! : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k]! * w[n * K + k]!;
      y[m * N + n] = s;
    }
  }
  return y;
}

/** Sum over k of |x[m,k]·W[n,k]|, per output: the scale a float error of the sum is relative to. */
export function matmulAbsReference(x: ArrayLike<number>, w: ArrayLike<number>, M: number, N: number, K: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(x[m * K + k]! * w[n * K + k]!);
      out[m * N + n] = s;
    }
  }
  return out;
}
