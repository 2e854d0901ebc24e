// matmul, variant "skinny": matrix-vector style product for decode-sized M (rows of x in chunks of MR
// <= 8, see Grid) with the K reduction finished in workgroup memory: runs on every adapter, no features.
// matmul_skinny_subgroups.wgsl is the same kernel reducing with subgroupAdd (keep the two in step),
// matmul_skinny.f16.wgsl the one with native f16 products.
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]  (+ r[m, n] if EPILOGUE == 1, + y[m, n] in place if 2),
//          products and sums in f32.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) Hugging Face [out, in] row-major; KP = K rounded up to
//          4 (f32 W) or 8 (f16 W), pad columns zero.
// Variants (overrides): WF16 = 0: W f32 read as vec4<u32> + bitcast (4 weights a load); WF16 = 1: W packed
//          f16 two per u32 (src/kernels/f16.ts), 8 weights a vec4<u32> load, unpack2x16float.
//          MR = 1, 2, 4 or 8 rows of x per workgroup; EPILOGUE 0 / 1 / 2 as in matmul_tiled.wgsl.
//
// Work split: a workgroup of WG threads owns 4 consecutive rows of W (outputs n0 .. n0+3) for a chunk of
//          MR rows of x (m0 .. m0+MR-1), so each weight read from memory serves MR rows (decode is bound
//          by weight bytes: this is what makes it fast). Thread t reads the k-steps c = t, t+WG, t+2·WG,
//          ... of the 4 rows: neighbouring threads read neighbouring 16-byte vecs (coalesced) and the 4
//          loads of a step are independent (in flight together).
//          The 4 rows of one k-step form a mat4x4 (column j = 4 weights of row n0+j), so row i of x
//          accumulates `acc_i += x_i · Wstep` (vec4 · mat4x4 = the 4 dot products) into one vec4.
//          The accumulators are named vec4s (acc0 .. acc7, those with i >= MR compiled out), not an array
//          indexed by loop counters: such an array stays in registers only if the driver unrolls every
//          loop over it, and where it does not (SwiftShader's JIT; drivers that keep loops) it lives in
//          memory with a load and a store per product (3x slower on SwiftShader at 1x2048x2048).
//          Rows m >= M of the last chunk re-read row M-1 (cached) and are never stored.
// Reduction: each accumulator in turn goes through a halving tree in workgroup memory (treeSum:
//          2 + log2(WG) barriers); thread 0 stores the 4 outputs of each x row. WG must be a power of two.
// Grid:    G = ceil(N / 4) row groups × C = ceil(M / MR) chunks = G·C workgroups, laid out as
//          (min(G·C, 65535), ceil(G·C / 65535), 1); workgroup w = wid.y·nwg.x + wid.x takes chunk w % C of
//          group w / C: the chunks that share 4 rows of W run next to each other, so W comes from memory
//          once and the other chunks read it from cache. Workgroups past G·C return at once.

override WG: u32 = 256u;     // threads per workgroup (power of two, >= 4)
override MR: u32 = 1u;       // rows of x per workgroup: 1, 2, 4 or 8
override WF16: u32 = 0u;     // 1: W is packed f16
override EPILOGUE: u32 = 0u;

override EPV: u32 = 4u + 4u * WF16;   // weights per vec4<u32> load

struct Params {
  M: u32,   // rows of x and y
  N: u32,   // rows of W, columns of y
  KP: u32,  // padded K: row stride of x and W in elements
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;                 // 16 B, dynamic offset into a slot ring
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;      // (M, KP/4) vec4
@group(0) @binding(2) var<storage, read> w: array<vec4<u32>>;      // (N, KP/EPV) vec4<u32>: f32 bits or packed f16
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

// x row i of a k-step times the step's weights: 4 (f32) or 8 (f16) k values of 4 rows of W.
// xr: element offset / 4 of x row i; c: the k-step; lo, hi: the step's weights (hi only for f16).
fn rowTimes(xr: u32, c: u32, lo: mat4x4<f32>, hi: mat4x4<f32>) -> vec4<f32> {
  if (WF16 == 1u) { return x[xr + 2u * c] * lo + x[xr + 2u * c + 1u] * hi; }
  return x[xr + c] * lo;
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
  let WV = params.KP / EPV;      // W row length in k-steps (vec4<u32>)
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
    let q0 = w[b0 + c];
    let q1 = w[b1 + c];
    let q2 = w[b2 + c];
    let q3 = w[b3 + c];
    var lo: mat4x4<f32>;
    var hi: mat4x4<f32>;
    if (WF16 == 1u) {
      lo = mat4x4<f32>(vec4<f32>(unpack2x16float(q0.x), unpack2x16float(q0.y)), vec4<f32>(unpack2x16float(q1.x), unpack2x16float(q1.y)),
                       vec4<f32>(unpack2x16float(q2.x), unpack2x16float(q2.y)), vec4<f32>(unpack2x16float(q3.x), unpack2x16float(q3.y)));
      hi = mat4x4<f32>(vec4<f32>(unpack2x16float(q0.z), unpack2x16float(q0.w)), vec4<f32>(unpack2x16float(q1.z), unpack2x16float(q1.w)),
                       vec4<f32>(unpack2x16float(q2.z), unpack2x16float(q2.w)), vec4<f32>(unpack2x16float(q3.z), unpack2x16float(q3.w)));
    } else {
      lo = mat4x4<f32>(bitcast<vec4<f32>>(q0), bitcast<vec4<f32>>(q1), bitcast<vec4<f32>>(q2), bitcast<vec4<f32>>(q3));
    }
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
