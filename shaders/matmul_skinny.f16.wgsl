// matmul, variant "skinny-f16": the skinny matrix-vector kernel of matmul_skinny.wgsl with native f16
// arithmetic (needs `shader-f16`, hence the *.f16.wgsl name: it compiles only where the feature exists).
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]  (+ r[m, n] if EPILOGUE == 1, + y[m, n] in place if 2).
//          Each k-step multiplies 8 weights by 8 values of x rounded to f16 and sums those 8 products in
//          f16 (two f16 vec4 · mat4x4 products: packed half-precision FMAs); the running sums are f32.
//          Expect f16-level error per 8-term step (relative ~1e-3), f32 accumulation across K.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) f16 Hugging Face [out, in] row-major, KP = K rounded up
//          to 8, pad columns zero. The buffer is the same bytes as the packed-f16 layout of
//          src/kernels/f16.ts, read here as vec4<f16>. MR = 1, 2, 4 or 8 rows of x per workgroup.
// Work split, named accumulators, reduction (workgroup-memory halving tree, so this variant needs
//          shader-f16 only, not subgroups) and grid (chunks of MR rows of x, chunk-fastest): exactly as
//          matmul_skinny.wgsl with WF16 = 1, except that the k-step's two halves are mat4x4<f16>.

enable f16;

override WG: u32 = 256u;     // threads per workgroup (power of two, >= 4)
override MR: u32 = 1u;       // rows of x per workgroup: 1, 2, 4 or 8
override EPILOGUE: u32 = 0u;

struct Params {
  M: u32,   // rows of x and y
  N: u32,   // rows of W, columns of y
  KP: u32,  // padded K: row stride of x and W in elements
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;                 // 16 B, dynamic offset into a slot ring
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;      // (M, KP/4) vec4
@group(0) @binding(2) var<storage, read> w: array<vec4<f16>>;      // (N, KP/4) vec4<f16>: k-step c of row n is w[n·KP/4 + 2c], [.. + 1]
@group(0) @binding(3) var<storage, read> r: array<f32>;            // (M, N) residual, read when EPILOGUE == 1
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (M, N)

var<workgroup> red: array<vec4<f32>, WG>;   // treeSum's scratch: red[t] = thread t's partial

// Sum of v over the workgroup (every thread gets it). Call from uniform control flow.
fn treeSum(v: vec4<f32>, lid: u32) -> vec4<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();   // red is rewritten by the next call
  return total;
}

// x row i of a k-step times the step's 8 weights of 4 rows of W, products and step sums in f16.
// xr: element offset / 4 of x row i; c: the k-step; lo, hi: k values 0..3 and 4..7 of the 4 rows.
fn rowTimes(xr: u32, c: u32, lo: mat4x4<f16>, hi: mat4x4<f16>) -> vec4<f32> {
  return vec4<f32>(vec4<f16>(x[xr + 2u * c]) * lo + vec4<f16>(x[xr + 2u * c + 1u]) * hi);
}

// Stores the 4 outputs of x row m (columns n0 .. n0+3) with the epilogue, bounds-checked.
fn store4(m: u32, n0: u32, v: vec4<f32>) {
  let M = params.M;
  let N = params.N;
  if (m >= M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < N) {
      let o = m * N + n;
      var out = v[j];
      if (EPILOGUE == 1u) { out += r[o]; }
      if (EPILOGUE == 2u) { out += y[o]; }
      y[o] = out;
    }
  }
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let M = params.M;
  let N = params.N;
  let KV = params.KP / 4u;       // x row length in vec4
  let WV = params.KP / 8u;       // W row length in k-steps of 8 weights
  let C = (M + MR - 1u) / MR;    // chunks of MR rows of x
  let wg = wid.y * nwg.x + wid.x;
  if (wg >= C * ((N + 3u) / 4u)) { return; }   // surplus workgroup of the 2-D layout (uniform)
  let n0 = (wg / C) * 4u;
  let m0 = (wg % C) * MR;

  // Row offsets, clamped so the loop needs no bounds checks (rows past N or M are never stored).
  let b0 = min(n0, N - 1u) * WV;
  let b1 = min(n0 + 1u, N - 1u) * WV;
  let b2 = min(n0 + 2u, N - 1u) * WV;
  let b3 = min(n0 + 3u, N - 1u) * WV;
  let xr0 = min(m0, M - 1u) * KV;
  let xr1 = min(m0 + 1u, M - 1u) * KV;
  let xr2 = min(m0 + 2u, M - 1u) * KV;
  let xr3 = min(m0 + 3u, M - 1u) * KV;
  let xr4 = min(m0 + 4u, M - 1u) * KV;
  let xr5 = min(m0 + 5u, M - 1u) * KV;
  let xr6 = min(m0 + 6u, M - 1u) * KV;
  let xr7 = min(m0 + 7u, M - 1u) * KV;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var c = lid; c < WV; c += WG) {
    let lo = mat4x4<f16>(w[2u * (b0 + c)], w[2u * (b1 + c)], w[2u * (b2 + c)], w[2u * (b3 + c)]);
    let hi = mat4x4<f16>(w[2u * (b0 + c) + 1u], w[2u * (b1 + c) + 1u], w[2u * (b2 + c) + 1u], w[2u * (b3 + c) + 1u]);
    acc0 += rowTimes(xr0, c, lo, hi);
    if (MR > 1u) { acc1 += rowTimes(xr1, c, lo, hi); }
    if (MR > 2u) {
      acc2 += rowTimes(xr2, c, lo, hi);
      acc3 += rowTimes(xr3, c, lo, hi);
    }
    if (MR > 4u) {
      acc4 += rowTimes(xr4, c, lo, hi);
      acc5 += rowTimes(xr5, c, lo, hi);
      acc6 += rowTimes(xr6, c, lo, hi);
      acc7 += rowTimes(xr7, c, lo, hi);
    }
  }

  // Reduce each live accumulator over the workgroup; thread 0 stores.
  let s0 = treeSum(acc0, lid);
  if (lid == 0u) { store4(m0, n0, s0); }
  if (MR > 1u) {
    let s1 = treeSum(acc1, lid);
    if (lid == 0u) { store4(m0 + 1u, n0, s1); }
  }
  if (MR > 2u) {
    let s2 = treeSum(acc2, lid);
    let s3 = treeSum(acc3, lid);
    if (lid == 0u) { store4(m0 + 2u, n0, s2); store4(m0 + 3u, n0, s3); }
  }
  if (MR > 4u) {
    let s4 = treeSum(acc4, lid);
    let s5 = treeSum(acc5, lid);
    let s6 = treeSum(acc6, lid);
    let s7 = treeSum(acc7, lid);
    if (lid == 0u) { store4(m0 + 4u, n0, s4); store4(m0 + 5u, n0, s5); store4(m0 + 6u, n0, s6); store4(m0 + 7u, n0, s7); }
  }
}
