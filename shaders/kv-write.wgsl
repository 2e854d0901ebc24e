// kv-write: stores each new token's K and V rows into its (page, slot) of the KV pool.
//
// Math:   for token t with slot = slotMapping[t] >= 0, page = slot / tokensPerPage, s = slot % tokensPerPage:
//           pool[page][layer][0][kvh][s][:] = qkv[t][numHeads + kvh][:]                (K)
//           pool[page][layer][1][kvh][s][:] = qkv[t][numHeads + numKvHeads + kvh][:]   (V)
//         slot = -1 skips the token (padding).
// qkv layout (the fused QKV matmul's output): [numTokens][numHeads + 2 * numKvHeads][D], i.e. per token
//   the Q heads, then the K heads, then the V heads; qkvStride = (numHeads + 2 * numKvHeads) * D elements.
// KV page layout (src/kernels/kv-layout.ts, kvOffset; attention.wgsl reads the same):
//   offset = ((((page * numLayers + layer) * 2 + kv) * numKvHeads + kvh) * tokensPerPage + s) * D + dim
//
// Bindings:
@group(0) @binding(0) var<uniform> params: Params;                  // per-layer slot (dynamic offset)
@group(0) @binding(1) var<storage, read> qkv: array<vec4f>;         // [numTokens][qkvStride / 4]
@group(0) @binding(2) var<storage, read> slots: array<i32>;         // [numTokens] slot mapping, -1 = skip
@group(0) @binding(3) var<storage, read_write> pool: array<vec4f>;  // KV pool, f32
//
// Workgroup: WG threads (override) over (kv head, dim quad) pairs; grid = (ceil(numKvHeads * D/4 / WG), numTokens).
// Each thread moves one vec4 of K and one of V; consecutive threads write consecutive addresses.

override D: u32 = 64u;
override WG: u32 = 64u;
override D4: u32 = D / 4u;

struct Params {
  numTokens: u32,
  numHeads: u32,
  numKvHeads: u32,
  qkvStride: u32,     // f32 elements per token row of qkv
  numLayers: u32,
  layer: u32,
  tokensPerPage: u32,
  _pad: u32,
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = wid.y;
  let e = gid.x;
  if (t >= params.numTokens || e >= params.numKvHeads * D4) { return; }
  let slot = slots[t];
  if (slot < 0) { return; }
  let kvh = e / D4;
  let d = e % D4;
  let page = u32(slot) / params.tokensPerPage;
  let s = u32(slot) % params.tokensPerPage;
  let kOff = ((((page * params.numLayers + params.layer) * 2u) * params.numKvHeads + kvh) * params.tokensPerPage + s) * D4 + d;
  let vOff = kOff + params.numKvHeads * params.tokensPerPage * D4;
  let row = t * (params.qkvStride / 4u);
  pool[kOff] = qkv[row + (params.numHeads + kvh) * D4 + d];
  pool[vOff] = qkv[row + (params.numHeads + params.numKvHeads + kvh) * D4 + d];
}
