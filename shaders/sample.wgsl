// sample: picks the next token of each SAMPLED row of logits on the GPU (temperature, top-k, top-p), so a
// step reads back 8 bytes per sequence instead of its whole logits row. Second pass of the sampler: the
// first (shaders/sample-stats*.wgsl) answered every greedy row and left each sampled row's statistics in
// a slot; this pass runs one workgroup per slot, dispatched indirectly with the sampled-row count.
//
// Math (per row r, logits l[0..vocab), params P = params[r]):
//   logprob:  log_softmax(l)[tok] = l[tok] - max(l) - log(sum_i exp(l[i] - max(l)))   -- the raw model
//             distribution at temperature 1, before temperature, top-k and top-p (what vLLM returns by
//             default as the sampled token's logprob).
//   greedy:   P.temperature <= 0: tok = argmax_i l[i], the LOWEST index among equal maxima.
//   sampling: w[i] = exp((l[i] - max l) / T). Kept set K = { i : l[i] >= cut } with cut from:
//             top-k (0 < P.top_k < vocab): cut_k = the top_k-th largest logit (ties at the cut all kept,
//               as Hugging Face's TopKLogitsWarper does); otherwise cut_k = -inf;
//             top-p (P.top_p < 1): among { l >= cut_k }, cut = the largest value v such that
//               sum_{l[i] >= v} w[i] >= top_p * sum_{l[i] >= cut_k} w[i]  (the smallest nucleus of top
//               tokens holding top_p of the top-k mass; ties at the cut all kept); otherwise cut = cut_k.
//             tok = the smallest i in K with sum_{j in K, j <= i} w[j] > u * sum_{j in K} w[j]
//             (inverse CDF walked in ascending token id), u in [0, 1) from the RNG below.
//   RNG:      Philox-4x32-10 (Salmon et al. 2011, Random123), counter (P.counter, 0, 0, 0), key
//             (P.seed_lo, P.seed_hi); u = (first output word >> 8) / 2^24. P.counter is the request's
//             output-token index, so a request's draws depend on (seed, index) only: the same token on
//             every run and in every batch order. src/kernels/rng.ts is the TypeScript twin.
// Shapes: logits (numRows, vocab) f32; params (numRows) RowParams (32 B); out (numRows) SampleOut (8 B);
//         config (uniform, 16 B) holds vocab; scratch (read): 16-byte header + slots, see sample-stats.
// Index:  slot k = workgroup_id.x, row r = slots[k].row (ONE workgroup per sampled row); element i of the
//         row at r * vocab + i.
// Workgroup: WG threads (override, power of two, default 256). Passes over the row, each a strided,
//         coalesced loop over i = l, l + WG, ...:
//   A   (done by the first pass) max, argmax, log sum exp(l - max), sum exp((l - max) / T), from the slot.
//   K   top-k cut without sorting: radix select over an order-preserving u32 key of the f32 logit, 8 bits
//       per pass (4 passes): a 256-bin count histogram (workgroup atomics) of the keys that match the
//       digits chosen so far; a workgroup scan over the bins (highest key first) finds the bin where the
//       running count reaches k, which fixes the next 8 bits. After 4 passes the key is exact.
//   Z   sum of w over { l >= cut_k } (only with top-k).
//   P   top-p cut: the same radix select over mass instead of count, with each w[i] / Z_k in 2^-31 fixed
//       point (u32 atomics; rounding to nearest, at most 2^-32 of the mass per token).
//   S   sample: thread l owns the contiguous ids [l C, (l + 1) C), C = ceil(vocab / WG), sums w over its
//       kept ids; a scan across threads gives each range's start; the one thread whose range holds
//       u * total walks it. No sort and no extra memory: up to 10 passes of vocab reads.
// Barriers: scans ping-pong between two buffers (log2(WG) + 1 barriers, not 2 log2(WG) + 1), and the
//       radix select double-buffers its histogram and chosen bin by digit parity (the next digit's bins are
//       cleared while this digit's are read): log2(WG) + 3 barriers per 8-bit digit, 4 digits per cut.
// Ties between the cut's radix selects and the final walk are exact: they compare the same u32 keys.
// Rows must have at least one finite logit. NaN logits are undefined behaviour. 1 / T is capped at 1e30.
// Variants: none (top-k/top-p are per-row branches on workgroup-uniform values; greedy rows never get here).

override WG: u32 = 256u;       // threads per row; power of two

const NUM_BINS: u32 = 256u;
const LOWEST: f32 = -3.4028234e38;  // initial running max (finite, so exp(LOWEST - x) is 0, not NaN)
const NO_INDEX: u32 = 0xFFFFFFFFu;
const FIXED_ONE: f32 = 2147483648.0; // 2^31: fixed-point scale of the top-p mass

struct RowParams {
  temperature: f32, // <= 0: greedy
  top_k: u32,       // 0 or >= vocab: off
  top_p: f32,       // >= 1: off
  seed_lo: u32,     // Philox key word 0
  seed_hi: u32,     // Philox key word 1
  counter: u32,     // Philox counter word 0: the request's output-token index
  _pad0: u32,
  _pad1: u32,
}

// The vocabulary size is a uniform, not an override, so one compiled pipeline serves every model
// (SwiftShader takes seconds to compile this shader); it never changes for a kernel object.
struct Config {
  vocab: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

struct SampleOut {
  token: u32,
  logprob: f32, // log_softmax at temperature 1 of the raw logits, see above
}

struct Slot { row: u32, argmax: u32, m: f32, log_z1: f32, z_t: f32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Scratch { counter: u32, dispatch_x: u32, dispatch_y: u32, dispatch_z: u32, slots: array<Slot> }

@group(0) @binding(0) var<storage, read> logits: array<f32>;         // (numRows, vocab)
@group(0) @binding(1) var<storage, read> params: array<RowParams>;   // (numRows)
@group(0) @binding(2) var<storage, read_write> out: array<SampleOut>; // (numRows)
@group(0) @binding(3) var<uniform> config: Config;                    // 16 B, written once per kernel
@group(0) @binding(4) var<storage, read> scratch: Scratch;           // slots of the sampled rows (first pass)

var<workgroup> red_s1: array<f32, 2u * WG>; // final scan, ping-pong halves
var<workgroup> red_st: array<f32, WG>;      // the Z pass tree
var<workgroup> scan_u: array<u32, 2u * WG>; // histogram scan across threads, ping-pong halves
var<workgroup> hist: array<atomic<u32>, 2u * NUM_BINS>; // by digit parity; bin b counts key digit 255 - b (highest first)
var<workgroup> sel_bin: array<u32, 2>;     // by digit parity
var<workgroup> sel_target: array<u32, 2>;
var<workgroup> chosen_thread: atomic<u32>; // 1 + the thread whose id range holds the draw

// Philox-4x32-10. 32x32 -> 64-bit products from 16-bit halves (WGSL has no mulhi).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

fn philox4x32_10(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) {
      k += vec2u(0x9E3779B9u, 0xBB67AE85u);
    }
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}

// Order-preserving map f32 -> u32: a < b (as floats) <=> key(a) < key(b) (with -0 < +0).
fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// Inclusive prefix sum of v over the workgroup's threads (Hillis-Steele, ping-pong: one barrier per
// step). Returns the half (0 or 1) of scan_u holding the result: scan_u[h * WG + lid], total at WG - 1.
fn scan_u32(v: u32, lid: u32) -> u32 {
  var cur = 0u;
  scan_u[lid] = v;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var x = scan_u[cur * WG + lid];
    if (lid >= off) {
      x += scan_u[cur * WG + lid - off];
    }
    cur = 1u - cur;
    scan_u[cur * WG + lid] = x;
    workgroupBarrier();
  }
  return cur;
}

fn scan_f32(v: f32, lid: u32) -> u32 {
  var cur = 0u;
  red_s1[lid] = v;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var x = red_s1[cur * WG + lid];
    if (lid >= off) {
      x += red_s1[cur * WG + lid - off];
    }
    cur = 1u - cur;
    red_s1[cur * WG + lid] = x;
    workgroupBarrier();
  }
  return cur;
}

// Radix select (passes K and P above): the key of the element where the running count (use_mass false;
// the goal is count_target) or fixed-point mass (use_mass true; the goal is ceil(p_frac * total)) of
// the keys >= low_key, taken from the highest key down, first reaches the goal.
fn radix_select(base: u32, low_key: u32, count_target: u32, p_frac: f32, use_mass: bool,
                m: f32, inv_t: f32, scale: f32, lid: u32) -> u32 {
  var prefix = 0u;
  var goal = count_target;
  let per = (NUM_BINS + WG - 1u) / WG;
  let b0 = min(lid * per, NUM_BINS);
  let b1 = min(b0 + per, NUM_BINS);
  // Digit 0's histogram and chosen bin start cleared; each digit clears the next one's (other parity).
  for (var b = lid; b < NUM_BINS; b += WG) {
    atomicStore(&hist[b], 0u);
  }
  if (lid == 0u) {
    sel_bin[0] = 0u;
    sel_target[0] = 1u;
  }
  workgroupBarrier();
  for (var d = 0u; d < 4u; d++) {
    let shift = 24u - 8u * d;
    let par = d & 1u;
    let h0 = par * NUM_BINS;
    // Bits above this digit, already fixed in prefix (none for the first digit).
    let hi_mask = select(0xFFFFFFFFu << (shift + 8u), 0u, d == 0u);
    for (var i = lid; i < config.vocab; i += WG) {
      let l = logits[base + i];
      let k = order_key(l);
      if (k >= low_key && (k & hi_mask) == prefix) {
        var add = 1u;
        if (use_mass) {
          add = u32(exp((l - m) * inv_t) * scale + 0.5);
        }
        if (add != 0u) {
          atomicAdd(&hist[h0 + 255u - ((k >> shift) & 255u)], add);
        }
      }
    }
    workgroupBarrier();
    var own = 0u;
    for (var b = b0; b < b1; b++) {
      own += atomicLoad(&hist[h0 + b]);
    }
    let half = scan_u32(own, lid);
    let incl = scan_u[half * WG + lid];
    let total = scan_u[half * WG + WG - 1u];
    if (use_mass && d == 0u) {
      goal = u32(ceil(p_frac * f32(total)));
    }
    goal = clamp(goal, 1u, max(total, 1u));
    // The one bin where the running sum (highest keys first) crosses the goal.
    var run = incl - own;
    for (var b = b0; b < b1; b++) {
      let h = atomicLoad(&hist[h0 + b]);
      if (h > 0u && run < goal && run + h >= goal) {
        sel_bin[par] = b;
        sel_target[par] = goal - run;
      }
      run += h;
    }
    // The next digit's histogram and chosen bin (last read before this digit's first barrier).
    for (var b = lid; b < NUM_BINS; b += WG) {
      atomicStore(&hist[(1u - par) * NUM_BINS + b], 0u);
    }
    if (lid == 0u) {
      sel_bin[1u - par] = 0u;
      sel_target[1u - par] = 1u;
    }
    workgroupBarrier();
    prefix = prefix | ((255u - sel_bin[par]) << shift);
    goal = sel_target[par];
  }
  return prefix;
}

// Pass Z: sum of w over keys >= low_key (same value in every thread).
fn sum_weights(base: u32, low_key: u32, m: f32, inv_t: f32, lid: u32) -> f32 {
  var s = 0.0;
  for (var i = lid; i < config.vocab; i += WG) {
    let l = logits[base + i];
    if (order_key(l) >= low_key) {
      s += exp((l - m) * inv_t);
    }
  }
  red_st[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      red_st[lid] += red_st[lid + k];
    }
    workgroupBarrier();
  }
  let z = red_st[0];
  workgroupBarrier();
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  // Uniform loads (read-only storage at a uniform index): no workgroupUniformLoad needed.
  let slot = scratch.slots[wid.x];
  let row = slot.row;
  let base = row * config.vocab;
  let p = params[row];
  let inv_t = 1.0 / max(p.temperature, 1e-30);
  let row_max = slot.m;
  let log_z1 = slot.log_z1;
  let argmax = slot.argmax;
  if (lid == 0u) {
    atomicStore(&chosen_thread, 0u);
  }

  // Pass K (and Z): top-k cut and the mass above it.
  var cut = 0u; // key 0: every finite logit is kept
  var z_k = slot.z_t;
  if (p.top_k > 0u && p.top_k < config.vocab) {
    cut = radix_select(base, 0u, p.top_k, 0.0, false, row_max, inv_t, 0.0, lid);
    z_k = sum_weights(base, cut, row_max, inv_t, lid);
  }
  // Pass P: top-p cut inside the top-k set.
  if (p.top_p < 1.0) {
    cut = radix_select(base, cut, 0u, p.top_p, true, row_max, inv_t, FIXED_ONE / z_k, lid);
  }

  // Pass S: inverse CDF over the kept ids in ascending order.
  let chunk = (config.vocab + WG - 1u) / WG;
  let c0 = min(lid * chunk, config.vocab);
  let c1 = min(c0 + chunk, config.vocab);
  var own = 0.0;
  for (var i = c0; i < c1; i++) {
    let l = logits[base + i];
    if (order_key(l) >= cut) {
      own += exp((l - row_max) * inv_t);
    }
  }
  let half = scan_f32(own, lid);
  var excl = 0.0;
  if (lid > 0u) {
    excl = red_s1[half * WG + lid - 1u];
  }
  let total = red_s1[half * WG + WG - 1u];
  let bits = philox4x32_10(vec4u(p.counter, 0u, 0u, 0u), vec2u(p.seed_lo, p.seed_hi));
  let u = f32(bits.x >> 8u) * (1.0 / 16777216.0);
  let r = u * total;
  // The last thread with kept mass whose range starts at or below r (robust to r rounding up to total).
  if (own > 0.0 && excl <= r) {
    atomicMax(&chosen_thread, lid + 1u);
  }
  workgroupBarrier();
  let chosen = atomicLoad(&chosen_thread);
  if (chosen == 0u) {
    // No kept mass at all (cannot happen for finite logits): fall back to greedy.
    if (lid == 0u) {
      out[row] = SampleOut(argmax, logits[base + argmax] - row_max - log_z1);
    }
    return;
  }
  if (lid + 1u == chosen) {
    var acc = excl;
    var pick = NO_INDEX;
    var last = c0;
    for (var i = c0; i < c1; i++) {
      let l = logits[base + i];
      if (order_key(l) >= cut) {
        acc += exp((l - row_max) * inv_t);
        last = i;
        if (r < acc) {
          pick = i;
          break;
        }
      }
    }
    if (pick == NO_INDEX) {
      pick = last;
    }
    out[row] = SampleOut(pick, logits[base + pick] - row_max - log_z1);
  }
}
