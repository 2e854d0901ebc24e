// silu-mul (SwiGLU): the gated activation between a Llama MLP's gate|up and down projections.
//
// Math:   out[t, j] = silu(gate[t, j]) * up[t, j],   silu(g) = g / (1 + exp(-g)) = g * sigmoid(g)
// Shapes: gateUp (numTokens, 2 * FFN) f32 -> out (numTokens, FFN) f32.
//         gateUp is the output of ONE fused matmul whose weight rows are [W_gate; W_up]: row t holds
//         gate in columns [0, FFN) and up in columns [FFN, 2 * FFN):
//           gate[t, j] = gateUp[t * 2 * FFN + j],  up[t, j] = gateUp[t * 2 * FFN + FFN + j].
// Index:  j = global_invocation_id.x (bounds-checked against FFN), token t = workgroup_id.y.
// Workgroup: (WG, 1, 1) threads, one output element each; loads and stores coalesced along j.
// Grid:   (ceil(FFN / WG), numTokens, 1); numTokens <= maxComputeWorkgroupsPerDimension.
//         For g < -88, exp(-g) overflows to +inf and g / inf = -0: silu's limit, no NaN.
// Variants: none.

override WG: u32 = 256u;   // threads per workgroup
override FFN: u32 = 11008u; // intermediate size

@group(0) @binding(0) var<storage, read> gate_up: array<f32>;   // (numTokens, 2 * FFN): [gate | up]
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // (numTokens, FFN)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let j = gid.x;
  if (j >= FFN) {
    return;
  }
  let t = wid.y;
  let g = gate_up[t * 2u * FFN + j];
  let u = gate_up[t * 2u * FFN + FFN + j];
  out[t * FFN + j] = g / (1.0 + exp(-g)) * u;
}
