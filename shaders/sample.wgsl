// sample: picks the next token of each row of logits on the GPU, so a step reads back 8 bytes per
// sequence instead of its whole logits row.
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
//         config (uniform, 16 B) holds vocab.
// Index:  row r = workgroup_id.x (ONE workgroup per row); element i of the row at r * vocab + i.
// Workgroup: WG threads (override, power of two, default 256). Passes over the row, each a strided,
//         coalesced loop over i = l, l + WG, ...:
//   A   online softmax: max, argmax, sum exp(l - max), sum exp((l - max) / T) in one read, merged by a
//       halving tree (pairs (m, s) rescaled to the larger m).
//   K   top-k cut without sorting: radix select over an order-preserving u32 key of the f32 logit, 8 bits
//       per pass (4 passes): a 256-bin count histogram (workgroup atomics) of the keys that match the
//       digits chosen so far; a workgroup scan over the bins (highest key first) finds the bin where the
//       running count reaches k, which fixes the next 8 bits. After 4 passes the key is exact.
//   Z   sum of w over { l >= cut_k } (only with top-k).
//   P   top-p cut: the same radix select over mass instead of count, with each w[i] / Z_k in 2^-31 fixed
//       point (u32 atomics; rounding to nearest, at most 2^-32 of the mass per token).
//   S   sample: thread l owns the contiguous ids [l C, (l + 1) C), C = ceil(vocab / WG), sums w over its
//       kept ids; a scan across threads gives each range's start; the one thread whose range holds
//       u * total walks it. No sort and no extra memory: 1 pass greedy, up to 11 passes of vocab reads.
// Ties between the cut's radix selects and the final walk are exact: they compare the same u32 keys.
// Rows must have at least one finite logit. NaN logits are undefined behaviour. 1 / T is capped at 1e30.
// Variants: none (greedy/top-k/top-p are per-row branches on workgroup-uniform values).

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

@group(0) @binding(0) var<storage, read> logits: array<f32>;         // (numRows, vocab)
@group(0) @binding(1) var<storage, read> params: array<RowParams>;   // (numRows)
@group(0) @binding(2) var<storage, read_write> out: array<SampleOut>; // (numRows)
@group(0) @binding(3) var<uniform> config: Config;                    // 16 B, written once per kernel

var<workgroup> red_m: array<f32, WG>;   // running max per thread
var<workgroup> red_i: array<u32, WG>;   // its (lowest) index
var<workgroup> red_s1: array<f32, WG>;  // sum exp(l - m); reused by the final scan
var<workgroup> red_st: array<f32, WG>;  // sum exp((l - m) / T); reused by the Z pass
var<workgroup> scan_u: array<u32, WG>;  // histogram scan across threads
var<workgroup> hist: array<atomic<u32>, NUM_BINS>; // bin b counts key digit 255 - b (highest first)
var<workgroup> sel_bin: u32;
var<workgroup> sel_target: u32;
var<workgroup> chosen_thread: atomic<u32>; // 1 + the thread whose id range holds the draw
var<workgroup> wg_chosen: u32;            // chosen_thread, copied for a uniform load
var<workgroup> wg_temperature: f32;
var<workgroup> wg_top_k: u32;
var<workgroup> wg_top_p: f32;

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

// Inclusive prefix sum of v over the workgroup's threads (Hillis-Steele); scan_u[WG - 1] is the total.
fn scan_u32(v: u32, lid: u32) -> u32 {
  scan_u[lid] = v;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var add = 0u;
    if (lid >= off) {
      add = scan_u[lid - off];
    }
    workgroupBarrier();
    scan_u[lid] += add;
    workgroupBarrier();
  }
  return scan_u[lid];
}

fn scan_f32(v: f32, lid: u32) -> f32 {
  red_s1[lid] = v;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off * 2u) {
    var add = 0.0;
    if (lid >= off) {
      add = red_s1[lid - off];
    }
    workgroupBarrier();
    red_s1[lid] += add;
    workgroupBarrier();
  }
  return red_s1[lid];
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
  for (var d = 0u; d < 4u; d++) {
    let shift = 24u - 8u * d;
    // Bits above this digit, already fixed in prefix (none for the first digit).
    let hi_mask = select(0xFFFFFFFFu << (shift + 8u), 0u, d == 0u);
    for (var b = lid; b < NUM_BINS; b += WG) {
      atomicStore(&hist[b], 0u);
    }
    if (lid == 0u) {
      sel_bin = 0u;
      sel_target = 1u;
    }
    workgroupBarrier();
    for (var i = lid; i < config.vocab; i += WG) {
      let l = logits[base + i];
      let k = order_key(l);
      if (k >= low_key && (k & hi_mask) == prefix) {
        var add = 1u;
        if (use_mass) {
          add = u32(exp((l - m) * inv_t) * scale + 0.5);
        }
        if (add != 0u) {
          atomicAdd(&hist[255u - ((k >> shift) & 255u)], add);
        }
      }
    }
    workgroupBarrier();
    var own = 0u;
    for (var b = b0; b < b1; b++) {
      own += atomicLoad(&hist[b]);
    }
    let incl = scan_u32(own, lid);
    let total = scan_u[WG - 1u];
    if (use_mass && d == 0u) {
      goal = u32(ceil(p_frac * f32(total)));
    }
    goal = clamp(goal, 1u, max(total, 1u));
    // The one bin where the running sum (highest keys first) crosses the goal.
    var run = incl - own;
    for (var b = b0; b < b1; b++) {
      let h = atomicLoad(&hist[b]);
      if (h > 0u && run < goal && run + h >= goal) {
        sel_bin = b;
        sel_target = goal - run;
      }
      run += h;
    }
    workgroupBarrier();
    prefix = prefix | ((255u - sel_bin) << shift);
    goal = sel_target;
    workgroupBarrier();
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
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let row = wid.x;
  let base = row * config.vocab;
  if (lid == 0u) {
    wg_temperature = params[row].temperature;
    wg_top_k = params[row].top_k;
    wg_top_p = params[row].top_p;
    atomicStore(&chosen_thread, 0u);
  }
  let temperature = workgroupUniformLoad(&wg_temperature);
  let top_k = workgroupUniformLoad(&wg_top_k);
  let top_p = workgroupUniformLoad(&wg_top_p);
  let greedy = temperature <= 0.0;
  let inv_t = select(1.0 / max(temperature, 1e-30), 1.0, greedy);

  // Pass A: online softmax statistics.
  var m = LOWEST;
  var mi = NO_INDEX;
  var s1 = 0.0;
  var st = 0.0;
  for (var i = lid; i < config.vocab; i += WG) {
    let l = logits[base + i];
    if (l > m) {
      s1 = s1 * exp(m - l) + 1.0;
      st = st * exp((m - l) * inv_t) + 1.0;
      m = l;
      mi = i;
    } else {
      s1 += exp(l - m);
      st += exp((l - m) * inv_t);
    }
  }
  red_m[lid] = m;
  red_i[lid] = mi;
  red_s1[lid] = s1;
  red_st[lid] = st;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      let ma = red_m[lid];
      let mb = red_m[lid + k];
      let mm = max(ma, mb);
      red_s1[lid] = red_s1[lid] * exp(ma - mm) + red_s1[lid + k] * exp(mb - mm);
      red_st[lid] = red_st[lid] * exp((ma - mm) * inv_t) + red_st[lid + k] * exp((mb - mm) * inv_t);
      if (mb > ma || (mb == ma && red_i[lid + k] < red_i[lid])) {
        red_i[lid] = red_i[lid + k];
      }
      red_m[lid] = mm;
    }
    workgroupBarrier();
  }
  let row_max = red_m[0];
  let argmax = select(red_i[0], 0u, red_i[0] == NO_INDEX);
  let log_z1 = log(red_s1[0]);
  let z_t = red_st[0];
  workgroupBarrier();

  if (greedy) {
    if (lid == 0u) {
      out[row] = SampleOut(argmax, logits[base + argmax] - row_max - log_z1);
    }
    return;
  }

  // Pass K (and Z): top-k cut and the mass above it.
  var cut = 0u; // key 0: every finite logit is kept
  var z_k = z_t;
  if (top_k > 0u && top_k < config.vocab) {
    cut = radix_select(base, 0u, top_k, 0.0, false, row_max, inv_t, 0.0, lid);
    z_k = sum_weights(base, cut, row_max, inv_t, lid);
  }
  // Pass P: top-p cut inside the top-k set.
  if (top_p < 1.0) {
    cut = radix_select(base, cut, 0u, top_p, true, row_max, inv_t, FIXED_ONE / z_k, lid);
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
  _ = scan_f32(own, lid);
  var excl = 0.0;
  if (lid > 0u) {
    excl = red_s1[lid - 1u];
  }
  let total = red_s1[WG - 1u];
  let p = params[row];
  let bits = philox4x32_10(vec4u(p.counter, 0u, 0u, 0u), vec2u(p.seed_lo, p.seed_hi));
  let u = f32(bits.x >> 8u) * (1.0 / 16777216.0);
  let r = u * total;
  // The last thread with kept mass whose range starts at or below r (robust to r rounding up to total).
  if (own > 0.0 && excl <= r) {
    atomicMax(&chosen_thread, lid + 1u);
  }
  workgroupBarrier();
  if (lid == 0u) {
    wg_chosen = atomicLoad(&chosen_thread);
  }
  let chosen = workgroupUniformLoad(&wg_chosen);
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
