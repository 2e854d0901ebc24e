// probe: the smallest kernel that proves a device computes correctly, used by the first page and the
// GPU-layer tests before any model kernel runs.
//
// Math:   y[i] = a * x[i] + b              for i in [0, n)
//         partial[w] = sum_{i in workgroup w} y[i]   (tree reduction in workgroup memory)
// Shapes: x (n) f32 -> y (n) f32, partial (ceil(n / WG)) f32
// Workgroup: WG threads (override, default 64), one element per thread, 1-D grid of ceil(n / WG).

override WG: u32 = 64u;

struct Params {
  n: u32,     // number of elements
  a: f32,     // scale
  b: f32,     // shift
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;            // 16 B
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (n)
@group(0) @binding(2) var<storage, read_write> y: array<f32>; // (n)
@group(0) @binding(3) var<storage, read_write> partial: array<f32>; // (ceil(n / WG))

var<workgroup> scratch: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u) {
  let i = gid.x;
  var v = 0.0;
  if (i < params.n) {
    v = params.a * x[i] + params.b;
    y[i] = v;
  }
  scratch[lid.x] = v;
  workgroupBarrier();
  // Halving tree (WG must be a power of two): after the step with stride s,
  // scratch[t] for t < s holds the sum of the WG / s elements t, t + s, t + 2s, ...
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) {
      scratch[lid.x] = scratch[lid.x] + scratch[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    partial[wid.x] = scratch[0];
  }
}
