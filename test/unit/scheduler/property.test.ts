/**
 * Property tests over random seeded workloads and every policy combination (continuous and static
 * batching, device losses, session unloads, gangs whose members never arrive). Invariants checked:
 * - after every step: ref count = table entries (no page held by two sequences unless shared and counted),
 *   used + cached free + empty free = usable pages, partition isolation (pages within the tenant's region),
 *   every request in exactly one queue (`Scheduler.checkInvariants`, `PagePool.checkInvariants`);
 * - at the end: every submitted request finished (stop, length, cancelled) or rejected with a reason; every
 *   page is free or cached; host swap slots all returned;
 * - fair-share: a tenant holding no pages waits at most the derived bound below for a step;
 * - determinism: the same seed gives the same schedule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PagePool } from '../../../src/kv/index';
import { QUEUE_POLICY_NAMES, SHARING_POLICY_NAMES, Scheduler, VICTIM_POLICY_NAMES } from '../../../src/scheduler/index';
import { BYTES_PER_TOKEN, mulberry32 } from './helpers';
import { makeWorkload, type Workload } from './workload';

/**
 * Fair-share bounded wait, derived from the policy (sharing_policy.ts, `fair-share`):
 *
 * A tenant W with work is granted the step when its weighted dominant share d = max(p, s) / w is the
 * smallest among the tenants with work that are not stalled (p: page share, s: EMA of its step share with
 * decay a, w: weight; a stalled tenant is one whose granted step scheduled nothing, passed over until
 * something is released). Take a wait of W that starts at step k0 with W holding no pages (p_W = 0; W's
 * pages cannot grow while it is not granted) and W not stalled (it cannot stall again before its next grant):
 *  1. Each step not granted to W multiplies s_W by (1 - a), so d_W(k) <= (1 - a)^(k - k0) / w_W.
 *  2. Another tenant G granted at step k had d_G <= d_W, hence s_G(k) <= w_G d_W(k) <= (w_G / w_W)(1 - a)^(k - k0)
 *     (its page share only raises d_G).
 *  3. A granted step gives G all of the step's tokens (only G's requests run), so after a grant at step j,
 *     s_G(k) >= a (1 - a)^(k - j - 1) for every k > j.
 *  4. With 2 and 3, G is granted again at k only if (1 - a)^(k0 - j - 1) <= w_G / (a w_W), i.e.
 *     j + 1 - k0 <= L_G = ln(w_G / (a w_W)) / -ln(1 - a). So from step J = k0 + floor(L) on (L = max over G),
 *     every grant to another tenant is that tenant's last one while W waits.
 *  5. Every step is granted to someone (W has work), so W waits at most floor(L) steps before J and then
 *     at most one step per other tenant: wait <= floor(L) + numTenants - 1.
 * With the default decay 0.1 and weights 1..3, L <= ln(30) / 0.1054 = 32.3: at most 32 + 2 = 34 steps
 * for three tenants (the property test used to allow 40 x numTenants = 120).
 *
 * A wait while W holds pages has no such bound, and the policy does not allow one: d_W >= p_W / w_W stays
 * up for the whole wait, and while another tenant with work has a smaller share (e.g. weight 3 and any
 * step share: d <= 1/3, against W of weight 1 holding half the pool: d >= 1/2) that tenant keeps every
 * step; W waits as long as the other has work (dominant resource fairness counts held pages, by design).
 * Those waits end because the workloads end; "nothing lost" below checks that they do.
 *
 * The test counts a step as part of W's wait only when W is not stalled: W was not granted a step that
 * scheduled nothing with no release (`Scheduler.numReleases`) since. It reads the release count between
 * steps, so it may take W for stalled where the policy (which looks again at grant time) does not; that can
 * only shorten the waits it measures, never lengthen them.
 */
function fairShareBound(w: Workload, tenant: string): number {
  const a = w.config.fairShareDecay ?? 0.1;
  const ts = w.config.tenants;
  const self = ts.find((t) => t.id === tenant)!;
  const wMax = Math.max(...ts.filter((t) => t.id !== tenant).map((t) => t.weight ?? 1));
  if (ts.length === 1) return 0;
  const L = Math.log(wMax / (a * (self.weight ?? 1))) / -Math.log(1 - a);
  return Math.floor(L) + ts.length - 1;
}

interface RunResult {
  trace: string[];
  /** Longest fair-share wait of a tenant holding no pages, minus its derived bound (<= 0 when it holds). */
  maxZeroPageWaitOverBound: number;
  numSteps: number;
}

function run(w: Workload, seed: number): RunResult {
  const pool = new PagePool({ numPages: w.numPages, pageBytes: w.tokensPerPage * BYTES_PER_TOKEN });
  let now = 0;
  const sched = new Scheduler(pool, { ...w.config, clock: () => now });
  const rnd = mulberry32(seed ^ 0x9e3779b9);
  const fair = w.config.sharingPolicy === 'fair-share';
  const submitted: string[] = [];
  const trace: string[] = [];
  /** Fair share: start of each tenant's current wait (null while stalled) and whether it held pages. */
  const waits = new Map<string, { since: number; heldPages: boolean }>();
  /** Fair share: tenants whose last grant scheduled nothing -> release count right after that step. */
  const stalledAt = new Map<string, number>();
  let worst = -Infinity;
  const maxSteps = 2000;
  let stepNo = 0;
  for (; stepNo < maxSteps; stepNo++) {
    for (const a of w.arrivals) {
      if (a.step === stepNo) {
        sched.addRequest(a.spec);
        submitted.push(a.spec.requestId);
      }
    }
    for (const a of w.aborts) if (a.step === stepNo) sched.abortRequest(a.id);
    if (w.deviceLosses.includes(stepNo)) sched.preemptAll(null, `device lost before step ${stepNo}`);
    if (w.removal?.step === stepNo) sched.removeSession(w.removal.sessionId);
    if (stepNo > w.lastEventStep && !sched.hasUnfinishedRequests()) break;
    // Fair share: tenants with unfinished work and their pages, before this step's grant.
    const pending = new Set<string>();
    if (fair) {
      for (const s of w.config.sessions) for (const r of [...sched.running(s.id), ...sched.waiting(s.id)]) pending.add(r.tenant);
      for (const [t, at] of stalledAt) if (at !== sched.numReleases) stalledAt.delete(t);
    }
    const out = sched.schedule();
    if (fair) {
      const granted = out.record.tenantFilter ?? [];
      for (const t of w.config.tenants) {
        if (!pending.has(t.id) || granted.includes(t.id) || stalledAt.has(t.id)) {
          waits.delete(t.id);
          continue;
        }
        let wt = waits.get(t.id);
        if (!wt) waits.set(t.id, (wt = { since: stepNo, heldPages: false }));
        if (pool.tenantUsage(t.id) > 0) wt.heldPages = true;
        if (!wt.heldPages) worst = Math.max(worst, stepNo - wt.since + 1 - fairShareBound(w, t.id));
      }
      for (const t of granted) {
        if (out.scheduled.length === 0) stalledAt.set(t, sched.numReleases);
        else stalledAt.delete(t);
      }
    }
    trace.push(`${out.sessionId}|${out.scheduled.map((r) => `${r.requestId}:${r.numTokens}@${r.positionStart}[${r.blockTable.join(',')}]`).join(' ')}|${out.preempted.join(',')}|${out.pagesToCopy.length}`);
    now += 1;
    const sampled = new Map<string, number[]>();
    for (const r of out.scheduled) {
      if (r.numSamples > 0) sampled.set(r.requestId, Array.from({ length: r.numSamples }, () => 1 + Math.floor(rnd() * 50)));
    }
    sched.update(out, sampled);
    sched.checkInvariants();
  }
  // Nothing lost: every submitted request (and every forked sample) ended finished or rejected with a reason.
  // (Checked in plain code and asserted once: a thousand workloads x a dozen `expect`s cost seconds.)
  const lost: string[] = [];
  for (const id of submitted) {
    const r = sched.getRequest(id)!;
    const ended = r.state === 'finished' && (r.finishReason === 'stop' || r.finishReason === 'length' || !!r.finishDetail);
    if (!ended) lost.push(`${id}: ${r.state} ${r.finishReason} ${r.finishDetail} after ${stepNo} steps`);
  }
  if (sched.numUnfinishedRequests !== 0) lost.push(`${sched.numUnfinishedRequests} unfinished after ${stepNo} steps`);
  // Every page is free (empty or cached); host slots are back.
  const u = pool.usageSnapshot();
  if (u.numUsedPages !== 0 || u.numCachedFreePages + u.numEmptyFreePages !== pool.numUsablePages) lost.push(`pages still used: ${JSON.stringify(u)}`);
  if (sched.swapSpace.numFreeSlots !== w.config.numHostSwapPages) lost.push(`host slots ${sched.swapSpace.numFreeSlots} of ${w.config.numHostSwapPages} free`);
  if (lost.length > 0) expect(lost).toEqual([]);
  return { trace, maxZeroPageWaitOverBound: worst, numSteps: stepNo };
}

const combos = SHARING_POLICY_NAMES.flatMap((s) => QUEUE_POLICY_NAMES.flatMap((q) => VICTIM_POLICY_NAMES.map((v) => [s, q, v] as const)));

describe('scheduler properties over random workloads', () => {
  it(`holds the invariants for >= 1,000 seeded workloads across all ${combos.length} policy combinations`, () => {
    let numRuns = 0;
    let numSteps = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(...combos), (seed, [sharing, queue, victim]) => {
        const w = makeWorkload(seed, sharing, queue, victim);
        const r = run(w, seed);
        numRuns++;
        numSteps += r.numSteps;
        seen.add(`${sharing}/${queue}/${victim}/${w.config.batching}`);
        // Bounded wait (derivation above): a tenant holding no pages is granted within floor(L) + n - 1 steps.
        if (sharing === 'fair-share') expect(r.maxZeroPageWaitOverBound).toBeLessThanOrEqual(0);
      }),
      { numRuns: 1080, seed: 20240501 },
    );
    expect(numRuns).toBeGreaterThanOrEqual(1000);
    // Every policy combination ran, in both batching modes.
    expect(seen.size).toBe(combos.length * 2);
    console.log(`${numRuns} workloads, ${numSteps} steps (mean ${(numSteps / numRuns).toFixed(1)})`);
  }, 30_000);

  it('gives the same schedule for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(...combos), (seed, [sharing, queue, victim]) => {
        const a = run(makeWorkload(seed, sharing, queue, victim), seed);
        const b = run(makeWorkload(seed, sharing, queue, victim), seed);
        expect(b.trace).toEqual(a.trace);
      }),
      { numRuns: 100, seed: 7 },
    );
  }, 30_000);
});
