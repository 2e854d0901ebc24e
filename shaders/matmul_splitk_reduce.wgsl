// matmul split-K reduction: sums the S partial products that matmul_tiled.wgsl wrote for the S slices of
// K (its "Split-K" section) and applies the matmul's epilogue.
//
// Math:    y[m, n] = sum_{s < S} part[s, m, n]          (EPILOGUE 0)
//                  + r[m, n]                           (EPILOGUE 1, residual from its own buffer)
//                  + y[m, n]                           (EPILOGUE 2, in place: read, then written, by one thread)
//          S = ceil(KP / KS); the slices are summed in order s = 0, 1, ... in f32.
// Shapes:  part (S, M, N) f32 (the wrapper's workspace), r (M, N) f32, y (M, N) f32. Params as
//          matmul_tiled.wgsl (M, N, KP, KS), so the wrapper binds the same uniform slot to both.
// Index mapping: thread i of the dispatch owns output i of the flattened (M, N) and reads part[s·M·N + i]
//          for each s (neighbouring threads, neighbouring floats: coalesced); i = gid.y·(nwg.x·WG) + gid.x.
// Workgroup: WG threads (1-D). Grid: G = ceil(M·N / WG) as (min(G, 65535), ceil(G / 65535), 1).
// Variants (overrides): EPILOGUE 0 / 1 / 2. Binding 2 of the shared matmul layout is not used here.

override WG: u32 = 256u;
override EPILOGUE: u32 = 0u;

struct Params {
  M: u32,   // rows of y
  N: u32,   // columns of y
  KP: u32,  // padded K
  KS: u32,  // k columns per slice: S = ceil(KP / KS)
}

@group(0) @binding(0) var<uniform> params: Params;                 // 16 B, dynamic offset into a slot ring
@group(0) @binding(1) var<storage, read> part: array<f32>;         // (S, M, N) partial products
@group(0) @binding(3) var<storage, read> r: array<f32>;            // (M, N) residual, read when EPILOGUE == 1
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (M, N)

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let total = params.M * params.N;
  let S = (params.KP + params.KS - 1u) / params.KS;
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= total) { return; }
  var out = 0.0;
  for (var s = 0u; s < S; s++) { out += part[s * total + i]; }
  if (EPILOGUE == 1u) { out += r[i]; }
  if (EPILOGUE == 2u) { out += y[i]; }
  y[i] = out;
}
