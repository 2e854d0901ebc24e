// rmsnorm: root-mean-square layer norm of each token's hidden row (Llama, Mistral, Qwen, ...).
//
// Math:   y[t, d] = x[t, d] / sqrt(mean_d'(x[t, d']^2) + EPS) * weight[d]      for d in [0, DIM)
//         (the mean of squares is accumulated in f32; no mean subtraction, no bias; Hugging Face's
//         LlamaRMSNorm with weight applied after normalising. Gemma's (1 + weight) is not this kernel.)
// Shapes: x (numTokens, DIM) f32 -> y (numTokens, DIM) f32; weight (DIM) f32. y must not alias x.
// Index:  token t = workgroup_id.x; element d of its row at t * DIM + d.
// Workgroup: WG threads (override, power of two, default 256), ONE workgroup per token row; thread
//         l sums x[t, l], x[t, l + WG], ... (coalesced), then a halving tree in workgroup memory
//         gives the row's sum of squares (log2(WG) + 1 barriers); every thread then writes its strided
//         elements of y. TS fits WG to the row (src/kernels/row-reduce.ts: 32..256).
// Grid:   (numTokens, 1, 1); numTokens <= maxComputeWorkgroupsPerDimension (65535). numTokens comes
//         from the dispatch size, so the kernel has no per-step uniform; DIM and EPS are model constants.
// Variants: this file is the `workgroup` variant, for devices without `subgroups` (compatibility mode on
//         OpenGL ES); shaders/rmsnorm-subgroups.wgsl holds the subgroup variants (`subgroup-row`: one
//         subgroup per row, no barrier; `subgroup-wide`: subgroupAdd + one barrier). The rule that picks
//         one is chooseRowShape in src/kernels/row-reduce.ts.

override WG: u32 = 256u;   // threads per row; power of two
override DIM: u32 = 4096u; // hidden size
override EPS: f32 = 1e-5;  // added to the mean of squares

@group(0) @binding(0) var<storage, read> x: array<f32>;          // (numTokens, DIM) row-major
@group(0) @binding(1) var<storage, read> weight: array<f32>;     // (DIM)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (numTokens, DIM) row-major

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let base = wid.x * DIM;
  var s = 0.0;
  for (var d = lid.x; d < DIM; d += WG) {
    let v = x[base + d];
    s += v * v;
  }
  partial[lid.x] = s;
  workgroupBarrier();
  // Halving tree: after the step with stride k, partial[l] (l < k) holds the sum over l, l + k, l + 2k, ...
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid.x < k) {
      partial[lid.x] += partial[lid.x + k];
    }
    workgroupBarrier();
  }
  let inv_rms = inverseSqrt(partial[0] / f32(DIM) + EPS);
  for (var d = lid.x; d < DIM; d += WG) {
    y[base + d] = x[base + d] * inv_rms * weight[d];
  }
}
