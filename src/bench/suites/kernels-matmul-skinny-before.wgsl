// SESSION-1 KERNEL, kept only for the kernels.matmul benchmark's before/after cases (`before skinny ...`):
// shaders/matmul_skinny_subgroups.wgsl as of commit 8154e85, before its accumulators became named vec4s.
// Not used by the engine. Its overrides: WG, MR (<= 16), NR (<= 4), GPW, WF16, EPILOGUE; grid (ceil(N / NR / GPW), 1, ceil(M / MR)).
//
// matmul, variant "skinny-subgroup": the skinny matrix-vector kernel of matmul_skinny.wgsl with the K
// reduction done by subgroupAdd. Needs the `subgroups` feature, hence its own file: `enable subgroups;`
// fails to compile on devices without it (the wrapper then uses matmul_skinny.wgsl).
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]  (+ r[m, n] if EPILOGUE == 1, + y[m, n] in place if 2),
//          products and sums in f32.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) Hugging Face [out, in] row-major; KP = K rounded up to
//          4 (f32 W) or 8 (f16 W), pad columns zero. Rows m0 .. m0+MR-1 per workgroup, m0 = wid.z·MR.
// Variants (overrides): WF16 = 0: W f32 read as vec4<u32> + bitcast; WF16 = 1: W packed f16 two per u32
//          (src/kernels/f16.ts), 8 weights a vec4<u32> load, unpack2x16float. EPILOGUE 0 / 1 / 2.
//
// Work split: as matmul_skinny.wgsl: a workgroup of WG threads owns NR rows of W for all M rows of x;
//          thread t reads k-vecs t, t+WG, ... of each row (coalesced, NR loads in flight), keeping
//          MR × NR partial sums.
// Reduction: subgroupAdd sums each value within a subgroup (no barrier); lane 0 of subgroup s writes it to
//          red[s][v]; after one barrier, thread v (and v + WG, ...) adds the WG / subgroup_size partials of value v. This
//          assumes subgroups are consecutive runs of local_invocation_index (true of every implementation
//          we know; the tests would catch one where it is not). Subgroup sizes are 4..128 (WebGPU), so
//          red has WG / 4 rows.
// Grid:    G = ceil(N / NR / GPW) workgroups as (min(G, 65535), ceil(G / 65535), ceil(M / MR)); workgroup
//          w = wid.y·nwg.x + wid.x handles the groups of NR rows w·GPW .. w·GPW + GPW - 1; wid.z picks the chunk of MR rows of x (M > 16 on hardware: each chunk
//          re-reads W, from L2 for the models' sizes, which still beats a grid of few tiled workgroups).

enable subgroups;

override WG: u32 = 256u;     // threads per workgroup (power of two)
override MR: u32 = 1u;       // rows of x per workgroup (<= 16); wid.z walks chunks of MR rows
override NR: u32 = 4u;       // rows of W per group (<= 4)
override GPW: u32 = 1u;      // groups of NR rows per workgroup
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

var<workgroup> red: array<f32, (WG / 4u) * MR * NR>;   // red[s · MR·NR + v]: subgroup s's sum of value v

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) sgSize: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let M = params.M;
  let N = params.N;
  let KV = params.KP / 4u;       // x row length in vec4
  let WV = params.KP / EPV;      // W row length in vec4<u32>
  // GPW consecutive groups of NR rows per workgroup: 1 on hardware (one group each), more on software
  // adapters, where launching a workgroup costs more than a group's work (the loop is uniform).
  for (var gi = 0u; gi < GPW; gi++) {
    let n0 = ((wid.y * nwg.x + wid.x) * GPW + gi) * NR;
    if (n0 >= N) { break; }        // whole workgroup leaves together (uniform)
    let m0 = wid.z * MR;           // this workgroup's chunk of x rows: m0 .. m0 + MR - 1

    // Explicitly zeroed: each group starts from 0 (an uninitialised var in a loop kept its last values on SwiftShader).
    var acc = array<array<f32, 4>, 16>();   // acc[m][rr]
    for (var c = lid; c < WV; c += WG) {
      // W: NR independent loads, then unpacked (or bitcast) to 2 × vec4<f32> per row.
      var wf: array<array<vec4<f32>, 2>, 4>;
      for (var rr = 0u; rr < NR; rr++) {
        let q = w[min(n0 + rr, N - 1u) * WV + c];
        if (WF16 == 1u) {
          wf[rr][0] = vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y));
          wf[rr][1] = vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w));
        } else {
          wf[rr][0] = bitcast<vec4<f32>>(q);
        }
      }
      for (var m = 0u; m < MR; m++) {
        let xrow = (m0 + min(m, M - 1u - m0)) * KV;
        if (WF16 == 1u) {
          let xa = x[xrow + 2u * c];
          let xb = x[xrow + 2u * c + 1u];
          for (var rr = 0u; rr < NR; rr++) { acc[m][rr] += dot(xa, wf[rr][0]) + dot(xb, wf[rr][1]); }
        } else {
          let xa = x[xrow + c];
          for (var rr = 0u; rr < NR; rr++) { acc[m][rr] += dot(xa, wf[rr][0]); }
        }
      }
    }

    // Reduce: within each subgroup, then across the WG / sgSize subgroups through workgroup memory.
    let sg = lid / sgSize;
    for (var m = 0u; m < MR; m++) {
      for (var rr = 0u; rr < NR; rr++) {
        let s = subgroupAdd(acc[m][rr]);
        if (lane == 0u) { red[sg * MR * NR + m * NR + rr] = s; }
      }
    }
    workgroupBarrier();
    // Thread t finishes values t, t + WG, ... (WG may be smaller than MR·NR, e.g. 4 on software adapters).
    for (var v = lid; v < MR * NR; v += WG) {
      let m = m0 + v / NR;
      let n = n0 + v % NR;
      if (m < M && n < N) {
        var sum = 0.0;
        for (var s = 0u; s < (WG + sgSize - 1u) / sgSize; s++) { sum += red[s * MR * NR + v]; }
        let o = m * N + n;
        var out = sum;
        if (EPILOGUE == 1u) { out += r[o]; }
        if (EPILOGUE == 2u) { out += y[o]; }
        y[o] = out;
      }
    }
    workgroupBarrier();          // red is rewritten by the next group
  }
}
