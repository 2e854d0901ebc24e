// matmul, variant "skinny-f16": the skinny matrix-vector kernel of matmul_skinny.wgsl with native f16
// arithmetic (needs `shader-f16`, hence the *.f16.wgsl name: it compiles only where the feature exists).
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]  (+ r[m, n] if EPILOGUE == 1, + y[m, n] in place if 2).
//          Each step multiplies 8 weights by 8 values of x rounded to f16 and sums those 8 products in
//          f16 (two f16 dot products: packed half-precision FMAs); the running sums are f32.
//          Expect f16-level error per 8-term chunk (relative ~1e-3), f32 accumulation across K.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) f16 Hugging Face [out, in] row-major, KP = K rounded up
//          to 8, pad columns zero. The buffer is the same bytes as the packed-f16 layout of
//          src/kernels/f16.ts, read here as vec4<f16>. Rows m0 .. m0+MR-1 per workgroup.
// Work split, reduction and grid (incl. wid.z row chunks): as matmul_skinny.wgsl (workgroup-memory halving tree, RCH values a
//          round), so this variant needs shader-f16 only, not subgroups.

enable f16;

override WG: u32 = 256u;     // threads per workgroup (power of two)
override MR: u32 = 1u;       // rows of x per workgroup (<= 16); wid.z walks chunks of MR rows
override NR: u32 = 4u;       // rows of W per group (<= 4)
override GPW: u32 = 1u;      // groups of NR rows per workgroup
override EPILOGUE: u32 = 0u;
override RCH: u32 = 8u;      // values reduced per round of the tree


struct Params {
  M: u32,   // rows of x and y
  N: u32,   // rows of W, columns of y
  KP: u32,  // padded K: row stride of x and W in elements
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;                 // 16 B, dynamic offset into a slot ring
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;      // (M, KP/4) vec4
@group(0) @binding(2) var<storage, read> w: array<vec4<f16>>;      // (N, KP/4) vec4<f16>
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
  let WV = params.KP / 8u;       // W row length in 8-weight steps (two vec4<f16>)
  // GPW consecutive groups of NR rows per workgroup: 1 on hardware (one group each), more on software
  // adapters, where launching a workgroup costs more than a group's work (the loop is uniform).
  for (var gi = 0u; gi < GPW; gi++) {
    let n0 = ((wid.y * nwg.x + wid.x) * GPW + gi) * NR;
    if (n0 >= N) { break; }        // whole workgroup leaves together (uniform)
    let m0 = wid.z * MR;           // this workgroup's chunk of x rows: m0 .. m0 + MR - 1

    // Explicitly zeroed: each group starts from 0 (an uninitialised var in a loop kept its last values on SwiftShader).
    var acc = array<array<f32, 4>, 16>();   // acc[m][rr]
    for (var c = lid; c < WV; c += WG) {
      var wa: array<vec4<f16>, 4>;
      var wb: array<vec4<f16>, 4>;
      for (var rr = 0u; rr < NR; rr++) {
        let row = min(n0 + rr, N - 1u) * (2u * WV);
        wa[rr] = w[row + 2u * c];
        wb[rr] = w[row + 2u * c + 1u];
      }
      for (var m = 0u; m < MR; m++) {
        let xrow = (m0 + min(m, M - 1u - m0)) * KV;
        let xa = vec4<f16>(x[xrow + 2u * c]);
        let xb = vec4<f16>(x[xrow + 2u * c + 1u]);
        for (var rr = 0u; rr < NR; rr++) { acc[m][rr] += f32(dot(xa, wa[rr]) + dot(xb, wb[rr])); }
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
