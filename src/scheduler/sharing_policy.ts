/**
 * GPU sharing between tenants and models ("MIG partitioning vs time-slicing vs dedicated GPU").
 *
 * A step runs ONE session (the forward pass is per model), so a sharing policy (1) grants each step to a
 * session, optionally restricted to some tenants' requests, (2) may cap a tenant's pages, and (3) filters
 * the preemption candidates when pages run out. The scheduler never forks per policy.
 *
 * Edge behaviour:
 * - `time-slice`: one shared pool, no caps. Steps rotate round-robin over the sessions that have work
 *   (`weighted`: smooth weighted round-robin by session weight). Every tenant of the chosen session runs.
 *   Victims: any running request (victim policy decides). Waiting requests never preempt.
 * - `partition` (MIG-like): the pool is cut into one fixed page range per tenant (region), the tenant's prefix
 *   cache is salted, and steps follow a fixed smooth weighted round-robin over ALL tenants by `stepShare`.
 *   A slice whose tenant has no work is an idle step (the GPU slice sits unused: no borrowing). Victims come
 *   only from the requester's own tenant; another tenant's burst never touches its pages or its steps.
 * - `fair-share` (Kueue-like): each tenant has a nominal page quota and weight, and may borrow up to
 *   `borrowLimitPages` beyond it while pages are free. The step goes to the tenant with work and the smallest
 *   weighted dominant share, max(pages used / usable pages, recent step share) / weight, where the step share
 *   is an EMA (factor `fairShareDecay`) of the tenant's fraction of scheduled tokens; only that tenant's
 *   requests run. A granted step that schedules nothing counts as the tenant's, and the tenant is *stalled*:
 *   passed over until something is released (`SharingView.numReleases`: a request ends or is preempted, a
 *   gang is requeued), so the tenants holding what it waits for (max_num_seqs slots, pages) run meanwhile.
 *   When every tenant with work is stalled, the one stalled longest gets the step. (Passing over for one
 *   step only is not enough: two blocked tenants with low shares could alternate forever while a third
 *   holding the slots, with a larger page share, never runs.) A tenant at its limit preempts its own
 *   requests; a tenant under quota whose allocation fails reclaims from borrowers (tenants over quota)
 *   first, also at admission.
 *   Bounded wait: a tenant holding no pages waits at most floor(L) + numTenants steps for a grant, with
 *   L = ln(max other weight / (decay * its weight)) / -ln(1 - decay) (derivation in the property test); a
 *   tenant holding pages has no such bound: its page share keeps its dominant share up while it waits, and
 *   a tenant with a smaller share keeps the steps as long as it has work (DRF by design).
 * - `priority`: steps go to the session holding the most important tenant's work (lowest tenant priority
 *   value; ties round-robin); all tenants of that session run. Victims come from the least important tenant
 *   tier at or below the requester's; a waiting request preempts running requests of strictly less important
 *   tenants. Less important tenants can starve indefinitely.
 */
import type { Request } from './request';
import type { PreemptReason } from './output';

export type SharingPolicyName = 'time-slice' | 'partition' | 'fair-share' | 'priority';

export interface SharingTenant {
  readonly id: string;
  readonly weight: number;
  readonly priority: number;
  readonly quotaPages: number;
  readonly borrowLimitPages: number;
  readonly partitionPages: number;
  readonly stepShare: number;
}

export interface SharingView {
  readonly step: number;
  readonly numUsablePages: number;
  /** Session ids in configuration order. */
  readonly sessionIds: readonly string[];
  sessionWeight(sessionId: string): number;
  readonly tenants: readonly SharingTenant[];
  tenantUsage(tenant: string): number;
  /** True when the session has waiting or running requests (of `tenant`, if given). */
  hasWork(sessionId: string, tenant: string | null): boolean;
  /**
   * Counts events that may unblock admission: a request finished, was cancelled or rejected, or was
   * preempted; a gang was requeued. Only ever grows.
   */
  readonly numReleases: number;
}

export type StepGrant =
  | { sessionId: string; tenants: readonly string[] | null; reason: string }
  | { sessionId: null; tenants: null; reason: string };

export type VictimMode = 'running' | 'admission';

export interface VictimFilter {
  victims: Request[];
  reason: PreemptReason;
}

export interface SharingPolicy {
  readonly name: SharingPolicyName;
  /** Page regions to cut the pool into (tenant order), or null for one shared region. */
  regions(tenants: readonly SharingTenant[]): Array<{ name: string; numPages: number }> | null;
  /** Region of a tenant's requests. */
  regionOf(tenantIndex: number): number;
  /** True when the tenant's prefix cache must be salted (isolated). */
  isolatesCache(): boolean;
  grantStep(view: SharingView): StepGrant;
  /** Most pages the tenant may hold now (Infinity = only the pool limits). */
  pageLimit(tenant: SharingTenant, view: SharingView): number;
  /** Most pages one request of the tenant can ever hold; larger requests are rejected up front. */
  maxPagesPerRequest(tenant: SharingTenant, view: SharingView): number;
  /**
   * Which candidates may be preempted for `requester`, whose allocation failed because of `blocked`
   * ('pages': the region is full; 'quota': the tenant is at its page limit).
   */
  victimCandidates(
    requester: Request,
    blocked: 'pages' | 'quota',
    candidates: Request[],
    mode: VictimMode,
    view: SharingView,
  ): VictimFilter;
  /** Called once per granted step with the tokens each tenant got (empty when the grant made no progress). */
  onStepScheduled(tokensByTenant: ReadonlyMap<string, number>, grant: StepGrant, view: SharingView): void;
}

/** Smooth weighted round-robin (nginx): deterministic, spreads picks evenly. */
class SmoothWrr {
  private readonly current = new Map<string, number>();
  pick(ids: readonly string[], weight: (id: string) => number): string | null {
    if (ids.length === 0) return null;
    let total = 0;
    let bestId: string | null = null;
    let bestCur = -Infinity;
    for (const id of ids) {
      const w = weight(id);
      total += w;
      const c = (this.current.get(id) ?? 0) + w;
      this.current.set(id, c);
      if (c > bestCur) {
        bestCur = c;
        bestId = id;
      }
    }
    this.current.set(bestId!, bestCur - total);
    return bestId;
  }
}

/** Round-robin over the sessions (config order) with work, resuming after the last one picked. */
class SessionRoundRobin {
  private last = -1;
  pick(view: SharingView, tenant: string | null): string | null {
    const ids = view.sessionIds;
    for (let k = 1; k <= ids.length; k++) {
      const i = (this.last + k) % ids.length;
      if (view.hasWork(ids[i]!, tenant)) {
        this.last = i;
        return ids[i]!;
      }
    }
    return null;
  }
}

const IDLE: StepGrant = { sessionId: null, tenants: null, reason: 'no session has work' };

function all(cands: Request[], reason: PreemptReason): VictimFilter {
  return { victims: cands, reason };
}

class TimeSlice implements SharingPolicy {
  readonly name = 'time-slice' as const;
  private readonly rr = new SessionRoundRobin();
  private readonly wrr = new SmoothWrr();
  constructor(private readonly mode: 'round-robin' | 'weighted') {}
  regions() {
    return null;
  }
  regionOf() {
    return 0;
  }
  isolatesCache() {
    return false;
  }
  grantStep(view: SharingView): StepGrant {
    if (this.mode === 'weighted') {
      const ids = view.sessionIds.filter((s) => view.hasWork(s, null));
      const s = this.wrr.pick(ids, (id) => view.sessionWeight(id));
      return s ? { sessionId: s, tenants: null, reason: `weighted time slice (weight ${view.sessionWeight(s)})` } : IDLE;
    }
    const s = this.rr.pick(view, null);
    return s ? { sessionId: s, tenants: null, reason: 'round-robin time slice' } : IDLE;
  }
  pageLimit() {
    return Infinity;
  }
  maxPagesPerRequest(_t: SharingTenant, view: SharingView) {
    return view.numUsablePages;
  }
  victimCandidates(_r: Request, _b: 'pages' | 'quota', cands: Request[], mode: VictimMode): VictimFilter {
    return all(mode === 'running' ? cands : [], 'pages');
  }
  onStepScheduled() {}
}

class Partition implements SharingPolicy {
  readonly name = 'partition' as const;
  private readonly wrr = new SmoothWrr();
  private readonly rr = new Map<string, SessionRoundRobin>();
  regions(tenants: readonly SharingTenant[]) {
    return tenants.map((t) => ({ name: t.id, numPages: t.partitionPages }));
  }
  regionOf(i: number) {
    return i;
  }
  isolatesCache() {
    return true;
  }
  grantStep(view: SharingView): StepGrant {
    if (!view.sessionIds.some((s) => view.hasWork(s, null))) return IDLE;
    const shares = new Map(view.tenants.map((t) => [t.id, t.stepShare]));
    const tenant = this.wrr.pick(
      view.tenants.map((t) => t.id),
      (id) => shares.get(id)!,
    )!;
    let rr = this.rr.get(tenant);
    if (!rr) this.rr.set(tenant, (rr = new SessionRoundRobin()));
    const s = rr.pick(view, tenant);
    if (!s) return { sessionId: null, tenants: null, reason: `partition slice of tenant "${tenant}" unused (no work; no borrowing)` };
    return { sessionId: s, tenants: [tenant], reason: `partition slice of tenant "${tenant}"` };
  }
  pageLimit() {
    return Infinity;
  }
  maxPagesPerRequest(t: SharingTenant) {
    return t.partitionPages;
  }
  victimCandidates(r: Request, _b: 'pages' | 'quota', cands: Request[], mode: VictimMode): VictimFilter {
    return all(mode === 'running' ? cands.filter((c) => c.tenant === r.tenant) : [], 'pages');
  }
  onStepScheduled() {}
}

class FairShare implements SharingPolicy {
  readonly name = 'fair-share' as const;
  private readonly stepShare = new Map<string, number>();
  private readonly rr = new Map<string, SessionRoundRobin>();
  /** Stalled tenants (their granted step scheduled nothing) -> `numReleases` and the step when they stalled. */
  private readonly stalled = new Map<string, { releases: number; step: number }>();
  constructor(private readonly decay: number) {}
  regions() {
    return null;
  }
  regionOf() {
    return 0;
  }
  isolatesCache() {
    return false;
  }
  /** max(page share, step share) / weight. */
  dominantShare(t: SharingTenant, view: SharingView): number {
    const pages = view.tenantUsage(t.id) / view.numUsablePages;
    return Math.max(pages, this.stepShare.get(t.id) ?? 0) / t.weight;
  }
  grantStep(view: SharingView): StepGrant {
    let best: SharingTenant | null = null;
    let bestShare = Infinity;
    const withWork = view.tenants.filter((t) => view.sessionIds.some((s) => view.hasWork(s, t.id)));
    // A tenant whose granted step made no progress (its work is blocked, e.g. by max_num_seqs or a gang's
    // pages held by others) is passed over until something is released, so the holders can run.
    for (const [t, m] of this.stalled) if (m.releases !== view.numReleases) this.stalled.delete(t);
    const ready = withWork.filter((t) => !this.stalled.has(t.id));
    for (const t of ready) {
      const d = this.dominantShare(t, view);
      if (d < bestShare) {
        bestShare = d;
        best = t;
      }
    }
    if (!best && withWork.length > 0) {
      // Every tenant with work is stalled: the one stalled longest goes (a rotation), so a tenant stalled on
      // one session gets to its other sessions (its session round-robin moves on) instead of the lowest
      // share taking every step.
      let oldest = Infinity;
      for (const t of withWork) {
        const at = this.stalled.get(t.id)!.step;
        if (at < oldest) {
          oldest = at;
          best = t;
        }
      }
      const b = best!;
      const s = this.sessionFor(b, view);
      return { sessionId: s, tenants: [b.id], reason: `fair share: every tenant with work is stalled; tenant "${b.id}" stalled longest (since step ${oldest})` };
    }
    if (!best) return IDLE;
    const s = this.sessionFor(best, view);
    return { sessionId: s, tenants: [best.id], reason: `fair share: tenant "${best.id}" has the lowest weighted dominant share (${bestShare.toFixed(3)})` };
  }
  /** The tenant's sessions with its work, round-robin. */
  private sessionFor(t: SharingTenant, view: SharingView): string {
    let rr = this.rr.get(t.id);
    if (!rr) this.rr.set(t.id, (rr = new SessionRoundRobin()));
    return rr.pick(view, t.id)!;
  }
  pageLimit(t: SharingTenant) {
    return t.quotaPages + t.borrowLimitPages;
  }
  maxPagesPerRequest(t: SharingTenant, view: SharingView) {
    return Math.min(view.numUsablePages, t.quotaPages + t.borrowLimitPages);
  }
  victimCandidates(r: Request, blocked: 'pages' | 'quota', cands: Request[], mode: VictimMode, view: SharingView): VictimFilter {
    const own = cands.filter((c) => c.tenant === r.tenant);
    if (blocked === 'quota') return { victims: mode === 'running' ? own : [], reason: 'quota' };
    const quota = new Map(view.tenants.map((t) => [t.id, t.quotaPages]));
    const underQuota = view.tenantUsage(r.tenant) < quota.get(r.tenant)!;
    if (underQuota) {
      const borrowers = cands.filter((c) => c.tenant !== r.tenant && view.tenantUsage(c.tenant) > quota.get(c.tenant)!);
      if (borrowers.length > 0) return { victims: borrowers, reason: 'reclaim' };
    }
    return { victims: mode === 'running' ? own : [], reason: 'pages' };
  }
  onStepScheduled(tokens: ReadonlyMap<string, number>, grant: StepGrant, view: SharingView) {
    let total = 0;
    for (const n of tokens.values()) total += n;
    // A step that scheduled nothing is charged to the tenant it was granted to: otherwise a tenant whose
    // work is blocked would keep the lowest share and be granted every step (a livelock).
    const granted = grant.tenants ?? [];
    for (const t of granted) {
      if (total === 0) this.stalled.set(t, { releases: view.numReleases, step: view.step });
      else this.stalled.delete(t);
    }
    for (const t of view.tenants) {
      const frac = total > 0 ? (tokens.get(t.id) ?? 0) / total : granted.includes(t.id) ? 1 / granted.length : 0;
      this.stepShare.set(t.id, (1 - this.decay) * (this.stepShare.get(t.id) ?? 0) + this.decay * frac);
    }
  }
}

class PriorityShare implements SharingPolicy {
  readonly name = 'priority' as const;
  private readonly rr = new SessionRoundRobin();
  private readonly fallback = new SessionRoundRobin();
  private stalled = false;
  regions() {
    return null;
  }
  regionOf() {
    return 0;
  }
  isolatesCache() {
    return false;
  }
  grantStep(view: SharingView): StepGrant {
    let bestPrio = Infinity;
    for (const t of view.tenants) if (t.priority < bestPrio && view.sessionIds.some((s) => view.hasWork(s, t.id))) bestPrio = t.priority;
    if (bestPrio === Infinity) return IDLE;
    if (this.stalled) {
      // The top tier's last step made no progress (e.g. its gang waits for pages held elsewhere): give the
      // step to the next session with any work so the holders can finish.
      const s = this.fallback.pick(view, null)!;
      return { sessionId: s, tenants: null, reason: 'priority: top tier stalled last step; round-robin fallback' };
    }
    const top = view.tenants.filter((t) => t.priority === bestPrio);
    const ids = view.sessionIds;
    const hasTop = (s: string) => top.some((t) => view.hasWork(s, t.id));
    // Round-robin among the sessions holding top-tier work.
    const sub: SharingView = { ...view, sessionIds: ids, sessionWeight: view.sessionWeight, tenantUsage: view.tenantUsage, hasWork: (s) => hasTop(s) };
    const s = this.rr.pick(sub, null)!;
    return { sessionId: s, tenants: null, reason: `priority: tenant priority ${bestPrio} has work here` };
  }
  pageLimit() {
    return Infinity;
  }
  maxPagesPerRequest(_t: SharingTenant, view: SharingView) {
    return view.numUsablePages;
  }
  victimCandidates(r: Request, _b: 'pages' | 'quota', cands: Request[], mode: VictimMode, view: SharingView): VictimFilter {
    const prio = new Map(view.tenants.map((t) => [t.id, t.priority]));
    const mine = prio.get(r.tenant)!;
    let worst = -Infinity;
    for (const c of cands) {
      const p = prio.get(c.tenant)!;
      if ((mode === 'running' ? p >= mine : p > mine) && p > worst) worst = p;
    }
    if (worst === -Infinity) return { victims: [], reason: 'priority' };
    return { victims: cands.filter((c) => prio.get(c.tenant) === worst), reason: worst > mine ? 'priority' : 'pages' };
  }
  onStepScheduled(tokens: ReadonlyMap<string, number>) {
    let total = 0;
    for (const n of tokens.values()) total += n;
    this.stalled = total === 0 && !this.stalled;
  }
}

export const SHARING_POLICY_NAMES: SharingPolicyName[] = ['time-slice', 'partition', 'fair-share', 'priority'];

export interface SharingPolicyOptions {
  timeSliceMode?: 'round-robin' | 'weighted';
  fairShareDecay?: number;
}

export function createSharingPolicy(name: SharingPolicyName, opts: SharingPolicyOptions = {}): SharingPolicy {
  switch (name) {
    case 'time-slice':
      return new TimeSlice(opts.timeSliceMode ?? 'round-robin');
    case 'partition':
      return new Partition();
    case 'fair-share':
      return new FairShare(opts.fairShareDecay ?? 0.1);
    case 'priority':
      return new PriorityShare();
    default:
      throw new Error(`Unknown sharing policy "${String(name)}"; known: ${SHARING_POLICY_NAMES.join(', ')}.`);
  }
}
