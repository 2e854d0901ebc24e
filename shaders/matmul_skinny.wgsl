// matmul, variant "skinny": matrix-vector style product for decode-sized M (1..16 rows of x; more in
// chunks of 16 rows, see Grid), with the
// K reduction finished in workgroup memory (runs on every adapter; matmul_skinny_subgroups.wgsl is the
// same kernel reducing with subgroupAdd, matmul_skinny.f16.wgsl the shader-f16 one).
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]  (+ r[m, n] if EPILOGUE == 1, + y[m, n] in place if 2),
//          products and sums in f32.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) Hugging Face [out, in] row-major; KP = K rounded up to
//          4 (f32 W) or 8 (f16 W), pad columns zero. Rows m0 .. m0+MR-1 per workgroup, m0 = wid.z·MR.
// Variants (overrides): WF16 = 0: W f32 read as vec4<u32> + bitcast (4 weights a load);
//          WF16 = 1: W packed f16 two per u32 (src/kernels/f16.ts), 8 weights a vec4<u32> load,
//          unpack2x16float. EPILOGUE 0 / 1 / 2 as in matmul_tiled.wgsl.
//
// Work split: a workgroup of WG threads owns NR consecutive rows of W (outputs n0 .. n0+NR-1) for all
//          M rows of x, so each weight is read from memory once and used M times (decode is bound by
//          weight bytes: this is what makes it fast). Thread t reads the k-vecs c = t, t+WG, t+2·WG, ...
//          of each of its NR rows: neighbouring threads read neighbouring 16-byte vecs (coalesced), and
//          the NR loads of one step are independent (in flight together). Each thread keeps MR × NR
//          partial sums; rows m >= M re-read row M-1 (cached) and are never stored.
// Reduction: values are reduced RCH at a time: red[j][t] holds thread t's partial for value j; a halving
//          tree (log2 WG barriers) leaves the sum in red[j][0]. WG must be a power of two.
// Grid:    G = ceil(N / NR / GPW) workgroups as (min(G, 65535), ceil(G / 65535), ceil(M / MR)); workgroup
//          w = wid.y·nwg.x + wid.x handles the groups of NR rows w·GPW .. w·GPW + GPW - 1; wid.z picks the chunk of MR rows of x (M > 16 on hardware: each chunk
//          re-reads W, from L2 for the models' sizes, which still beats a grid of few tiled workgroups).

override WG: u32 = 256u;     // threads per workgroup (power of two)
override MR: u32 = 1u;       // rows of x per workgroup (<= 16); wid.z walks chunks of MR rows
override NR: u32 = 4u;       // rows of W per group (<= 4)
override GPW: u32 = 1u;      // groups of NR rows per workgroup
override WF16: u32 = 0u;     // 1: W is packed f16
override EPILOGUE: u32 = 0u;
override RCH: u32 = 8u;      // values reduced per round of the tree

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

var<workgroup> red: array<f32, RCH * WG>;   // red[j · WG + t]

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32,
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

    // Reduce the MR·NR values over the workgroup, RCH at a time.
    for (var base = 0u; base < MR * NR; base += RCH) {
      for (var j = 0u; j < RCH; j++) {
        let v = base + j;
        if (v < MR * NR) { red[j * WG + lid] = acc[v / NR][v % NR]; }
      }
      workgroupBarrier();
      for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
          for (var j = 0u; j < RCH; j++) { red[j * WG + lid] += red[j * WG + lid + s]; }
        }
        workgroupBarrier();
      }
      let v = base + lid;
      if (lid < RCH && v < MR * NR) {
        let m = m0 + v / NR;
        let n = n0 + v % NR;
        if (m < M && n < N) {
          let o = m * N + n;
          var out = red[lid * WG];
          if (EPILOGUE == 1u) { out += r[o]; }
          if (EPILOGUE == 2u) { out += y[o]; }
          y[o] = out;
        }
      }
      workgroupBarrier();   // red is rewritten by the next round
    }
    workgroupBarrier();          // red is rewritten by the next group
  }
}
