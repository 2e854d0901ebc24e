// rope: rotary position embedding, applied IN PLACE to the Q and K heads of the fused QKV buffer.
//
// Math:   for token t at position p = positions[t], each Q and K head vector v (HEAD_DIM values) and
//         each frequency index i in [0, ROTARY_DIM / 2), with angle a = p * inv_freq[i]:
//           (v[i0], v[i1]) <- (v[i0] cos a - v[i1] sin a,  v[i0] sin a + v[i1] cos a)
//         where the pair (i0, i1) depends on the convention (override ROTATE_HALF):
//           interleaved (ROTATE_HALF = false; llama2.c, GGUF "norm" rope, Meta's original code):
//             i0 = 2i, i1 = 2i + 1
//           rotate-half (ROTATE_HALF = true; Hugging Face `rotate_half`, GGUF "neox" rope):
//             i0 = i,  i1 = i + ROTARY_DIM / 2
//         Dims [ROTARY_DIM, HEAD_DIM) are left unchanged (partial rotary; ROTARY_DIM = HEAD_DIM for Llama).
//         inv_freq[i] = theta^(-2i / ROTARY_DIM) for plain rope; the table is computed on the CPU in f64
//         (src/kernels/rope.ts), so scaled variants (Llama 3, NTK) need only another table.
// Angle precision: a is formed without an f32 rounding of p * inv_freq (which Hugging Face's f32 code
//         has: ~0.008 rad at p = 131072). The table holds f = inv_freq / (2 pi), in turns per position,
//         as hi + mid + lo, hi and mid with 12 significant bits each. With p = 4096 p1 + p0 (p0, p1 < 4096),
//         the four products of {4096 p1, p0} and {hi, mid} are exact in f32, so their fractional parts
//         are exact; p lo (< 2^-3 turns for p < 2^24) is rounded once, at ~2^-27. Summed with a fract
//         after every add, the angle mod 1 turn, in [-0.5, 0.5) turns, is within ~2e-6 rad of the exact
//angle for any p < 2^24. cos and sin are NOT the built-ins: WGSL (and Vulkan) allow them an
//         absolute error of 2^-11, which SwiftShader really has (5e-4 on rotated values ~3). The angle is
//         split into a quadrant q = round(4 t) and x = 2 pi (t - q / 4) in [-pi/4, pi/4], and Taylor
//         polynomials of degree 9 (sin) and 10 (cos) give ~1e-7 absolute error on every device.
// Shapes: qkv (numTokens, NUM_HEADS + 2 * NUM_KV_HEADS, HEAD_DIM) f32, read and written in place.
//         Per token the heads are [Q heads 0..NUM_HEADS) then [K heads 0..NUM_KV_HEADS) then
//         [V heads 0..NUM_KV_HEADS); V is not touched. This is the layout of the fused QKV matmul output
//         (weight rows [W_q; W_k; W_v]) that the attention kernels and the kv-write kernel read:
//           qkv offset of (token t, head h, dim e) = (t * (NUM_HEADS + 2 * NUM_KV_HEADS) + h) * HEAD_DIM + e
//         with h in [0, NUM_HEADS) for Q, NUM_HEADS + g for K head g, NUM_HEADS + NUM_KV_HEADS + g for V head g.
//         positions (numTokens) u32, each < 2^24; freqs (ROTARY_DIM / 2) vec4<f32> = (hi, mid, lo, 0) turns/position.
// Index:  j = global_invocation_id.x in [0, (NUM_HEADS + NUM_KV_HEADS) * ROTARY_DIM / 2): head h = j / (ROTARY_DIM / 2)
//         (Q then K, contiguous in qkv), pair i = j % (ROTARY_DIM / 2); token t = workgroup_id.y.
//         One thread rotates one pair, so every element is read and written by exactly one thread.
// Workgroup: (WG, 1, 1). Grid: (ceil((NUM_HEADS + NUM_KV_HEADS) * ROTARY_DIM / 2 / WG), numTokens, 1).
// Variants: interleaved, rotate-half (override ROTATE_HALF; one pipeline each).
//
// Second entry point `rope_kv_write`: rope fused with the kv-write kernel (shaders/kv-write.wgsl), one
// dispatch per layer instead of two. Q is rotated in place as above; each K pair is rotated and stored
// straight into its (page, slot) of the KV pool; V is copied there (4 floats per thread). K in qkv is
// left as the matmul wrote it: the attention kernels read K only from the pool. Requires
// ROTARY_DIM = HEAD_DIM (every dim of K is written by a pair thread; TS checks). Extra bindings 3-5 below.
//   pool offset of (page, layer, kv, kvh, s, e) = ((((page * numLayers + layer) * 2 + kv) * NUM_KV_HEADS + kvh)
//                                                 * tokensPerPage + s) * HEAD_DIM + e        (src/kernels/kv-layout.ts)
//   page = slot / tokensPerPage, s = slot % tokensPerPage, slot = slots[t]; slot = -1 writes no K/V (padding).
// Index: j = global_invocation_id.x in [0, (NUM_HEADS + NUM_KV_HEADS) * ROTARY_DIM / 2 + NUM_KV_HEADS * HEAD_DIM / 4):
//   first the rope pairs as above (Q heads, then K heads), then one V quad per thread; token t = workgroup_id.y.
// Grid: (ceil(that / WG), numTokens, 1).

override WG: u32 = 64u;             // threads per workgroup
override NUM_HEADS: u32 = 32u;      // query heads
override NUM_KV_HEADS: u32 = 32u;   // key/value heads
override HEAD_DIM: u32 = 128u;      // dims per head
override ROTARY_DIM: u32 = 128u;    // rotated dims per head (even, <= HEAD_DIM)
override ROTATE_HALF: bool = false; // convention, see above

const TWO_PI: f32 = 6.283185307179586;

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;  // (numTokens, NUM_HEADS + 2 NUM_KV_HEADS, HEAD_DIM)
@group(0) @binding(1) var<storage, read> positions: array<u32>;  // (numTokens) absolute position of each token
@group(0) @binding(2) var<storage, read> freqs: array<vec4f>;    // (ROTARY_DIM / 2) inv_freq / 2pi as (hi, mid, lo, 0)
// rope_kv_write only:
@group(0) @binding(3) var<uniform> kv: KvParams;                 // per-layer slot (dynamic offset), as kv-write.wgsl's Params
@group(0) @binding(4) var<storage, read> slots: array<i32>;      // (numTokens) slot mapping, -1 = skip
@group(0) @binding(5) var<storage, read_write> pool: array<f32>; // KV pool, f32, layout above

struct KvParams {
  numTokens: u32,
  numHeads: u32,      // = NUM_HEADS
  numKvHeads: u32,    // = NUM_KV_HEADS
  qkvStride: u32,     // = (NUM_HEADS + 2 NUM_KV_HEADS) * HEAD_DIM
  numLayers: u32,
  layer: u32,
  tokensPerPage: u32,
  _pad: u32,
}

// p * (f.x + f.y + f.z) mod 1, in [-0.5, 0.5) turns; see "Angle precision" above.
fn turns(p: u32, f: vec4f) -> f32 {
  let p1 = f32(p >> 12u) * 4096.0; // 12-bit integer times 2^12
  let p0 = f32(p & 4095u);          // 12-bit integer
  // Each product below is exact (12 + 12 significant bits); fract of an exact float is exact.
  var t = fract(fract(p1 * f.x) + fract(p0 * f.x));
  t = fract(t + fract(p1 * f.y));
  t = fract(t + fract(p0 * f.y));
  t = fract(t + fract(f32(p) * f.z)); // the only rounded product, of a number < 2^-3
  if (t >= 0.5) {
    t -= 1.0;
  }
  return t;
}

// (cos, sin) of 2 pi t for t in [-0.5, 0.5) turns, to ~1e-7 absolute (see "Angle precision").
fn cos_sin_turns(t: f32) -> vec2f {
  let q = round(4.0 * t);  // quadrant in {-2, ..., 2}
  let x = TWO_PI * (t - 0.25 * q); // [-pi/4, pi/4]; t - q/4 is exact
  let x2 = x * x;
  let s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0)))));
  let c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 + x2 * (-1.0 / 3628800.0)))));
  // angle = q pi/2 + x: rotate (c, s) by q quarter turns.
  switch (u32(i32(q)) & 3u) {
    case 1u: { return vec2f(-s, c); }
    case 2u: { return vec2f(-c, -s); }
    case 3u: { return vec2f(s, -c); }
    default: { return vec2f(c, s); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let half = ROTARY_DIM / 2u;
  let j = gid.x;
  if (j >= (NUM_HEADS + NUM_KV_HEADS) * half) {
    return;
  }
  let t = wid.y;
  let h = j / half;
  let i = j % half;
  let base = (t * (NUM_HEADS + 2u * NUM_KV_HEADS) + h) * HEAD_DIM;
  var i0 = 2u * i;
  var i1 = 2u * i + 1u;
  if (ROTATE_HALF) {
    i0 = i;
    i1 = i + half;
  }
  let cs = cos_sin_turns(turns(positions[t], freqs[i]));
  let c = cs.x;
  let s = cs.y;
  let v0 = qkv[base + i0];
  let v1 = qkv[base + i1];
  qkv[base + i0] = v0 * c - v1 * s;
  qkv[base + i1] = v0 * s + v1 * c;
}

// Rope of Q and K plus the K/V store of one layer; see "Second entry point" in the header.
@compute @workgroup_size(WG)
fn rope_kv_write(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = wid.y;
  if (t >= kv.numTokens) {
    return;
  }
  let half = ROTARY_DIM / 2u;
  let numPairs = (NUM_HEADS + NUM_KV_HEADS) * half;
  let j = gid.x;
  let row = t * (NUM_HEADS + 2u * NUM_KV_HEADS) * HEAD_DIM;
  let slot = slots[t];
  let page = u32(max(slot, 0)) / kv.tokensPerPage;
  let s = u32(max(slot, 0)) % kv.tokensPerPage;
  // Offset of (kv = 0, kv head 0, slot s, dim 0) of this layer in the page; V adds one K block.
  let pageBase = ((page * kv.numLayers + kv.layer) * 2u * NUM_KV_HEADS * kv.tokensPerPage + s) * HEAD_DIM;
  let headStride = kv.tokensPerPage * HEAD_DIM;
  if (j < numPairs) {
    let h = j / half;
    let i = j % half;
    var i0 = 2u * i;
    var i1 = 2u * i + 1u;
    if (ROTATE_HALF) {
      i0 = i;
      i1 = i + half;
    }
    let cs = cos_sin_turns(turns(positions[t], freqs[i]));
    let v0 = qkv[row + h * HEAD_DIM + i0];
    let v1 = qkv[row + h * HEAD_DIM + i1];
    let r0 = v0 * cs.x - v1 * cs.y;
    let r1 = v0 * cs.y + v1 * cs.x;
    if (h < NUM_HEADS) {
      qkv[row + h * HEAD_DIM + i0] = r0;
      qkv[row + h * HEAD_DIM + i1] = r1;
    } else if (slot >= 0) {
      let k = pageBase + (h - NUM_HEADS) * headStride;
      pool[k + i0] = r0;
      pool[k + i1] = r1;
    }
    return;
  }
  let e = j - numPairs;
  if (e >= NUM_KV_HEADS * (HEAD_DIM / 4u) || slot < 0) {
    return;
  }
  let kvh = e / (HEAD_DIM / 4u);
  let d = (e % (HEAD_DIM / 4u)) * 4u;
  let src = row + (NUM_HEADS + NUM_KV_HEADS + kvh) * HEAD_DIM + d;
  let dst = pageBase + (NUM_KV_HEADS + kvh) * headStride + d;
  for (var k = 0u; k < 4u; k++) {
    pool[dst + k] = qkv[src + k];
  }
}
