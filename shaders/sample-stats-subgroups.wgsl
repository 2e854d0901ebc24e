// sample-stats-subgroups: first pass of GPU sampling (src/kernels/sample.ts), with subgroup reductions;
// used only where the device has `subgroups` (shaders/sample-stats.wgsl is the same pass without them).
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
// Variants (entry points, rule in src/kernels/row-reduce.ts):
//   main_row  ("subgroup-row"): WG <= the adapter's smallest subgroup size: the workgroup is one subgroup;
//             subgroupMax / subgroupMin / subgroupAdd merge the threads. No workgroup memory, no barrier.
//   main_wide ("subgroup-wide"): per-subgroup merge as above, the subgroups' results meet in workgroup
//             memory after ONE barrier (subgroup k = invocations k * sg_size .. (k + 1) * sg_size - 1).
enable subgroups;

override WG: u32 = 32u;
override NSG: u32 = max(1u, WG / 4u); // subgroups per workgroup, at most (smallest subgroup size: 4)

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

var<workgroup> part_m: array<f32, NSG>;  // main_wide: per-subgroup max
var<workgroup> part_i: array<u32, NSG>;  // its lowest index
var<workgroup> part_s1: array<f32, NSG>; // sum exp(l - m)
var<workgroup> part_st: array<f32, NSG>; // sum exp((l - m) / T)

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

// Merge across the subgroup: every invocation gets the same result.
fn subgroupStats(a: Stats, inv_t: f32) -> Stats {
  let m = subgroupMax(a.m);
  let i = subgroupMin(select(NO_INDEX, a.i, a.m == m));
  let s1 = subgroupAdd(a.s1 * exp(a.m - m));
  let st = subgroupAdd(a.st * exp((a.m - m) * inv_t));
  return Stats(m, i, s1, st);
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
fn main_row(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x;
  let base = row * config.vocab;
  let temperature = params[row].temperature;
  let greedy = temperature <= 0.0;
  let inv_t = select(1.0 / max(temperature, 1e-30), 1.0, greedy);
  let s = subgroupStats(threadStats(base, l, inv_t), inv_t);
  if (l == 0u) {
    finish(row, base, s, greedy, nwg.x);
  }
}

@compute @workgroup_size(WG)
fn main_wide(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg: u32) {
  let row = wid.x;
  let base = row * config.vocab;
  let temperature = params[row].temperature;
  let greedy = temperature <= 0.0;
  let inv_t = select(1.0 / max(temperature, 1e-30), 1.0, greedy);
  let s = subgroupStats(threadStats(base, l, inv_t), inv_t);
  if (lane == 0u) {
    part_m[l / sg] = s.m;
    part_i[l / sg] = s.i;
    part_s1[l / sg] = s.s1;
    part_st[l / sg] = s.st;
  }
  workgroupBarrier();
  if (l == 0u) {
    var t = Stats(LOWEST, NO_INDEX, 0.0, 0.0);
    for (var k = 0u; k < (WG + sg - 1u) / sg; k++) {
      let mm = max(t.m, part_m[k]);
      t.s1 = t.s1 * exp(t.m - mm) + part_s1[k] * exp(part_m[k] - mm);
      t.st = t.st * exp((t.m - mm) * inv_t) + part_st[k] * exp((part_m[k] - mm) * inv_t);
      if (part_m[k] > t.m || (part_m[k] == t.m && part_i[k] < t.i)) {
        t.i = part_i[k];
      }
      t.m = mm;
    }
    finish(row, base, t, greedy, nwg.x);
  }
}
