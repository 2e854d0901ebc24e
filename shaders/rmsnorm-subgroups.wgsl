// rmsnorm-subgroups: rmsnorm.wgsl's math with the row's sum of squares taken by subgroup operations;
// used only where the device has the `subgroups` feature (src/kernels/rmsnorm.ts, rule in
// src/kernels/row-reduce.ts).
//
// Math:   y[t, d] = x[t, d] / sqrt(mean_d'(x[t, d']^2) + EPS) * weight[d]      for d in [0, DIM)
//         (f32 accumulation; Hugging Face's LlamaRMSNorm, weight applied after normalising.)
// Shapes: x (numTokens, DIM) f32 -> y (numTokens, DIM) f32; weight (DIM) f32. y must not alias x.
// Index:  token t = workgroup_id.x; element d of its row at t * DIM + d; thread l takes d = l + k * WG,
//         k < ITERS (consecutive threads read consecutive words: coalesced; constant trip count, so
//         every invocation reaches the subgroup operation in uniform control flow).
// Grid:   (numTokens, 1, 1), numTokens <= maxComputeWorkgroupsPerDimension; no per-step uniform.
// Variants (entry points, chosen in TS):
//   main_row  ("subgroup-row"): WG <= the adapter's smallest subgroup size, so the workgroup is ONE
//             subgroup: sum = subgroupAdd(own). No workgroup memory, no barrier.
//   main_wide ("subgroup-wide"): any WG; each subgroup's subgroupAdd goes to partial[subgroup], ONE
//             barrier, then every thread adds the WG / sg_size partials. Assumes subgroup k holds
//             invocations k * sg_size .. (k + 1) * sg_size - 1 (local_invocation_index in order).
enable subgroups;

override WG: u32 = 32u;   // threads per row (power of two)
override DIM: u32 = 4096u;
override EPS: f32 = 1e-5;
override ITERS: u32 = (DIM + WG - 1u) / WG;
// Subgroups per workgroup are at most WG / 4 (WebGPU's smallest subgroup size is 4).
override NSG: u32 = max(1u, WG / 4u);

@group(0) @binding(0) var<storage, read> x: array<f32>;          // (numTokens, DIM) row-major
@group(0) @binding(1) var<storage, read> weight: array<f32>;     // (DIM)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (numTokens, DIM) row-major

var<workgroup> partial: array<f32, NSG>; // main_wide only: one sum per subgroup

fn sumSquares(base: u32, l: u32) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < ITERS; k++) {
    let d = l + k * WG;
    if (d < DIM) {
      let v = x[base + d];
      s += v * v;
    }
  }
  return s;
}

fn normalise(base: u32, l: u32, sum: f32) {
  let inv_rms = inverseSqrt(sum / f32(DIM) + EPS);
  for (var k = 0u; k < ITERS; k++) {
    let d = l + k * WG;
    if (d < DIM) {
      y[base + d] = x[base + d] * inv_rms * weight[d];
    }
  }
}

@compute @workgroup_size(WG)
fn main_row(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) wid: vec3u) {
  let base = wid.x * DIM;
  normalise(base, l, subgroupAdd(sumSquares(base, l)));
}

@compute @workgroup_size(WG)
fn main_wide(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) wid: vec3u,
             @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let base = wid.x * DIM;
  let s = subgroupAdd(sumSquares(base, l));
  if (lane == 0u) {
    partial[l / sg] = s;
  }
  workgroupBarrier();
  var sum = 0.0;
  for (var k = 0u; k < (WG + sg - 1u) / sg; k++) {
    sum += partial[k];
  }
  normalise(base, l, sum);
}
