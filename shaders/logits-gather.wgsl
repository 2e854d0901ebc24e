// logits-gather: copies the hidden row of each sequence's LAST token of the step into a compact
// buffer, so the final norm and the lm_head matmul run on numSeqs rows instead of numTokens
// (a 512-token prefill chunk needs logits for one token only).
//
// Math:   out[s, d] = hidden[lastIndex[s], d]                  for s in [0, numSeqs), d in [0, DIM)
// Shapes: hidden (numTokens, DIM) f32, lastIndex (numSeqs) u32 (flat token index in the step's batch,
//         each < numTokens) -> out (numSeqs, DIM) f32.
// Index:  d = global_invocation_id.x (bounds-checked against DIM), sequence s = workgroup_id.y.
// Workgroup: (WG, 1, 1), one element each; coalesced row copy.
// Grid:   (ceil(DIM / WG), numSeqs, 1); numSeqs <= maxComputeWorkgroupsPerDimension.
// Variants: none.

override WG: u32 = 256u;   // threads per workgroup
override DIM: u32 = 4096u; // hidden size

@group(0) @binding(0) var<storage, read> hidden: array<f32>;      // (numTokens, DIM)
@group(0) @binding(1) var<storage, read> last_index: array<u32>;  // (numSeqs) token index of each sequence's last token
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (numSeqs, DIM)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let d = gid.x;
  if (d >= DIM) {
    return;
  }
  let s = wid.y;
  out[s * DIM + d] = hidden[last_index[s] * DIM + d];
}
