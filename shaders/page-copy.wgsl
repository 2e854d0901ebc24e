// page-copy: copies whole pages inside the KV pool (copy-on-write, swap within the pool).
//
// Math:   for each pair i: pool[dst_i][0 .. pageStride) = pool[src_i][0 .. pageStride)
//         A page holds every layer, K and V, every kv head and slot (kv-layout.ts), so it is one
//         contiguous range of pageStride f32 = pageStride / 4 vec4s starting at page * pageStride.
// Precondition (checked in TS): destinations are distinct and no destination is also a source in the
// same batch, so the order in which workgroups run cannot change the result.
//
// Bindings:
@group(0) @binding(0) var<uniform> params: Params;                  // 16 B
@group(0) @binding(1) var<storage, read> pairs: array<vec2u>;       // [numPairs] (src page, dst page)
@group(0) @binding(2) var<storage, read_write> pool: array<vec4f>;  // KV pool, f32
//
// Workgroup: WG threads (override); grid = (min(ceil(pageStride4 / WG), 1024), numPairs). Each
// workgroup strides over its pair's page with step WG * gridX (pages may exceed 65535 * WG vec4s).

override WG: u32 = 64u;

struct Params {
  numPairs: u32,
  pageStride4: u32,   // vec4s per page
  gridX: u32,         // workgroups along x
  _pad: u32,
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let i = wid.y;
  if (i >= params.numPairs) { return; }
  let pr = pairs[i];
  let src = pr.x * params.pageStride4;
  let dst = pr.y * params.pageStride4;
  for (var e = gid.x; e < params.pageStride4; e += WG * params.gridX) {
    pool[dst + e] = pool[src + e];
  }
}
