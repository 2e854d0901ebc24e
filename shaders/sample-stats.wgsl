// sample-stats: first pass of GPU sampling (src/kernels/sample.ts), merged by a halving tree in workgroup
// memory; used where the device has no `subgroups` (compatibility mode on OpenGL ES).
// shaders/sample-stats-subgroups.wgsl is the same pass with subgroup operations.
//
// Math (row r of logits l[0..vocab), T = params[r].temperature):
//   m = max_i l[i];  argmax = the LOWEST i with l[i] = m;  z1 = sum_i exp(l[i] - m);
//   zt = sum_i exp((l[i] - m) / T)  (T <= 0: greedy, zt unused), by an online softmax per thread
//   (pairs (m, s) rescaled to the larger m when merged).
//   Greedy row: out[r] = (argmax, l[argmax] - m - log z1) -- the token and its log_softmax at T = 1.
//   Sampled row: takes slot k = the number of sampled rows before it in completion order (an atomic
//   counter), writes slots[k] = (r, argmax, m, log z1, zt) for shaders/sample.wgsl, which the wrapper
//   dispatches INDIRECTLY with (sampled rows, 1, 1) workgroups: a greedy step samples nothing more.
//   Counter: scratch.counter = (sampled rows << 16) | finished workgroups, one atomicAdd per workgroup
//   (both halves in one word, so the workgroup that finishes last sees every other one's count); that
//   last workgroup writes the indirect arguments and resets the counter to 0 for the next dispatch.
//   numRows <= 65535 (the grid's limit) keeps both halves in 16 bits.
// Shapes: logits (numRows, vocab) f32; params (numRows) RowParams (32 B); out (numRows) SampleOut (8 B);
//         scratch: 16-byte header (counter, indirect x, y, z) + (numRows) Slot (32 B); config uniform (vocab).
// Index:  row r = workgroup_id.x; thread l reads l, l + WG, ... (coalesced), a uniform trip count.
// Workgroup: WG threads (power of two; TS fits it to the row, 32..256), log2(WG) + 1 barriers.
// Variants: none in this file (see sample-stats-subgroups.wgsl and src/kernels/row-reduce.ts).

override WG: u32 = 32u;

const LOWEST: f32 = -3.4028234e38;
const NO_INDEX: u32 = 0xFFFFFFFFu;

struct RowParams { temperature: f32, top_k: u32, top_p: f32, seed_lo: u32, seed_hi: u32, counter: u32, _pad0: u32, _pad1: u32 }
struct Config { vocab: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct SampleOut { token: u32, logprob: f32 }
struct Slot { row: u32, argmax: u32, m: f32, log_z1: f32, z_t: f32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Scratch { counter: atomic<u32>, dispatch_x: u32, dispatch_y: u32, dispatch_z: u32, slots: array<Slot> }

@group(0) @binding(0) var<storage, read> logits: array<f32>;          // (numRows, vocab)
@group(0) @binding(1) var<storage, read> params: array<RowParams>;    // (numRows)
@group(0) @binding(2) var<storage, read_write> out: array<SampleOut>; // (numRows): greedy rows written here
@group(0) @binding(3) var<uniform> config: Config;                     // vocab
@group(0) @binding(4) var<storage, read_write> scratch: Scratch;       // counter, indirect args, slots

var<workgroup> red_m: array<f32, WG>;  // running max per thread
var<workgroup> red_i: array<u32, WG>;  // its (lowest) index
var<workgroup> red_s1: array<f32, WG>; // sum exp(l - m)
var<workgroup> red_st: array<f32, WG>; // sum exp((l - m) / T)

struct Stats { m: f32, i: u32, s1: f32, st: f32 }

// This thread's online softmax over its strided share of the row.
fn threadStats(base: u32, l: u32, inv_t: f32) -> Stats {
  var m = LOWEST;
  var mi = NO_INDEX;
  var s1 = 0.0;
  var st = 0.0;
  let iters = (config.vocab + WG - 1u) / WG;
  for (var k = 0u; k < iters; k++) {
    let i = l + k * WG;
    if (i < config.vocab) {
      let v = logits[base + i];
      if (v > m) {
        s1 = s1 * exp(m - v) + 1.0;
        st = st * exp((m - v) * inv_t) + 1.0;
        m = v;
        mi = i;
      } else {
        s1 += exp(v - m);
        st += exp((v - m) * inv_t);
      }
    }
  }
  return Stats(m, mi, s1, st);
}

// Thread 0 only: the greedy answer, or a slot for the sampling pass; the last workgroup sets the indirect args.
fn finish(row: u32, base: u32, s: Stats, greedy: bool, numRows: u32) {
  let argmax = select(s.i, 0u, s.i == NO_INDEX);
  let log_z1 = log(s.s1);
  let old = atomicAdd(&scratch.counter, select(0x10000u, 0u, greedy) + 1u);
  if (greedy) {
    out[row] = SampleOut(argmax, logits[base + argmax] - s.m - log_z1);
  } else {
    scratch.slots[old >> 16u] = Slot(row, argmax, s.m, log_z1, s.st, 0u, 0u, 0u);
  }
  if ((old & 0xFFFFu) + 1u == numRows) {
    scratch.dispatch_x = (old >> 16u) + select(1u, 0u, greedy);
    scratch.dispatch_y = 1u;
    scratch.dispatch_z = 1u;
    atomicStore(&scratch.counter, 0u);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x;
  let base = row * config.vocab;
  let temperature = params[row].temperature;
  let greedy = temperature <= 0.0;
  let inv_t = select(1.0 / max(temperature, 1e-30), 1.0, greedy);
  let s = threadStats(base, l, inv_t);
  red_m[l] = s.m;
  red_i[l] = s.i;
  red_s1[l] = s.s1;
  red_st[l] = s.st;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (l < k) {
      let ma = red_m[l];
      let mb = red_m[l + k];
      let mm = max(ma, mb);
      red_s1[l] = red_s1[l] * exp(ma - mm) + red_s1[l + k] * exp(mb - mm);
      red_st[l] = red_st[l] * exp((ma - mm) * inv_t) + red_st[l + k] * exp((mb - mm) * inv_t);
      if (mb > ma || (mb == ma && red_i[l + k] < red_i[l])) {
        red_i[l] = red_i[l + k];
      }
      red_m[l] = mm;
    }
    workgroupBarrier();
  }
  if (l == 0u) {
    finish(row, base, Stats(red_m[0], red_i[0], red_s1[0], red_st[0]), greedy, nwg.x);
  }
}
