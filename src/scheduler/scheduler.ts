/**
 * The step scheduler (vLLM v1 style): one `schedule()` per engine step returns a typed SchedulerOutput;
 * `update()` takes the sampled tokens back. There are no prefill and decode phases: every request has
 * `numComputedTokens` catching up with its token count, and a step gives tokens to
 *   1. the running requests of the step's session, in admission order (decode-first), preempting victims
 *      when pages run out, then
 *   2. if nothing was preempted in (1), waiting requests in queue-policy order (chunked prefill up to the
 *      token budget and `longPrefillTokenThreshold`); admission stops at the first request that does not fit.
 *      Under `batching: 'static'` (pre-Orca) step 2 runs only while none of the session's requests is
 *      running, and then admits a whole batch (see `SchedulerConfig.batching`).
 * The sharing policy picks the step's session (and tenants); the queue policy orders the waiting queue; the
 * victim policy picks whom to preempt. Every decision is recorded in the step's `StepRecord`.
 *
 * Between steps the engine may call `abortRequest`, `addSession`, `removeSession` (unload one model: its
 * requests are cancelled, nothing else changes) and `preemptAll` (device loss: every running request goes
 * back to the waiting queue to recompute).
 *
 * Invariants (see `checkInvariants`):
 * - every request is in exactly one place: a session's `running` (state running), a session's `waiting`
 *   (state waiting or preempted), or the finished map (state finished, holding no pages);
 * - a page's ref count equals the number of block-table entries and fork reservations naming it;
 * - under `partition`, every page a request holds lies in its tenant's region.
 */
import {
  ContiguousAllocator,
  EMPTY_COMPUTED,
  HostSwapSpace,
  KVCacheManager,
  ServingError,
  type Allocation,
  type AllocationAsk,
  type ComputedPages,
  type KVCacheAllocator,
  type PagePool,
} from '../kv/index';
import { resolveConfig, type ResolvedSchedulerConfig, type SchedulerConfig, type SessionConfig } from './config';
import { addToTenantMetrics, computeRequestMetrics, emptyTenantMetrics, type TenantMetrics } from './metrics';
import type { BlockReason, Decision, PreemptReason, ScheduledRequest, SchedulerOutput, StepRecord } from './output';
import { createQueuePolicy, type QueueContext, type QueuePolicy } from './queue_policy';
import { Request, type FinishReason, type RequestSpec } from './request';
import { createSharingPolicy, type SharingPolicy, type SharingTenant, type SharingView, type VictimMode } from './sharing_policy';
import { createVictimPolicy, type VictimContext, type VictimPolicy } from './victim_policy';

interface Session {
  readonly id: string;
  readonly alloc: KVCacheAllocator;
  readonly maxModelLen: number;
  readonly weight: number;
  /** Admission order. */
  readonly running: Request[];
  /** Queue-policy order after each step's sort. */
  readonly waiting: Request[];
  /** Unfinished requests per tenant (waiting + running). */
  readonly numWork: Map<string, number>;
}

interface GangInfo {
  size: number;
  model: string;
  numSubmitted: number;
  /** Why the gang can no longer be admitted (its members are cancelled or rejected), or null. */
  failed: string | null;
  /** Steps completed when its first member arrived (`gangArrivalTimeoutFactor` counts from here). */
  arrivalStep: number;
}

interface TenantState {
  readonly cfg: SharingTenant & { isolateCache: boolean };
  readonly index: number;
}

/**
 * One step's working state. Which requests were scheduled (`touchedStep`), admitted (`admittedStep`) and
 * their rows (`row`, `rowStep`) are stamped on the requests themselves, and the per-tenant token counts live
 * in the scheduler's reused typed arrays, so a step allocates only what it returns.
 */
interface StepContext {
  readonly step: number;
  readonly now: number;
  budget: number;
  readonly rows: ScheduledRequest[];
  /** Rows of requests preempted after being scheduled (dropped from the output); null until the first. */
  dropped: Set<ScheduledRequest> | null;
  readonly copies: { src: number; dst: number }[];
  readonly swapOut: { page: number; hostSlot: number }[];
  readonly swapIn: { page: number; hostSlot: number }[];
  readonly preempted: string[];
  readonly decisions: Decision[];
  preemptedWhileRunning: boolean;
  numPrefill: number;
  numDecode: number;
  /** True when every tenant's requests may run; else `tenantAllowed[tenantIndex]` says. */
  allowAll: boolean;
}

type AllocResult = Allocation | 'self' | { blocked: 'pages' | 'quota'; detail: string };

export interface UpdateResult {
  /** Requests that finished in this update (stop token or length). */
  finished: Request[];
  numNewTokens: number;
}

export interface SchedulerStats {
  numSteps: number;
  numIdleSteps: number;
  numPreemptions: number;
  numRecomputePreemptions: number;
  numSwapPreemptions: number;
  numSwapFallbacks: number;
  numGangRequeues: number;
  numRejected: number;
  numFinished: number;
  numCancelled: number;
}

export class Scheduler {
  readonly pool: PagePool;
  readonly config: ResolvedSchedulerConfig;
  readonly queuePolicy: QueuePolicy;
  readonly victimPolicy: VictimPolicy;
  readonly sharing: SharingPolicy;
  readonly swapSpace: HostSwapSpace;
  readonly stats: SchedulerStats = {
    numSteps: 0,
    numIdleSteps: 0,
    numPreemptions: 0,
    numRecomputePreemptions: 0,
    numSwapPreemptions: 0,
    numSwapFallbacks: 0,
    numGangRequeues: 0,
    numRejected: 0,
    numFinished: 0,
    numCancelled: 0,
  };

  private readonly sessions = new Map<string, Session>();
  private readonly sessionIds: string[] = [];
  private readonly tenants = new Map<string, TenantState>();
  private readonly tenantList: TenantState[] = [];
  private readonly requests = new Map<string, Request>();
  private readonly finished = new Map<string, Request>();
  private readonly tenantMetrics = new Map<string, TenantMetrics>();
  private readonly gangWait = new Map<string, number>();
  private readonly gangInfo = new Map<string, GangInfo>();
  /** Ids of tagged gangs still missing members (checked each step for the arrival timeout). */
  private readonly incompleteGangs = new Set<string>();
  private pendingFinishedIds: string[] = [];
  private pendingDecisions: Decision[] = [];
  private stepIndex = 0;
  private backSeq = 0;
  private frontSeq = 0;
  private admitSeq = 0;
  /** See `SharingView.numReleases`. */
  private releases = 0;
  private readonly view: SharingView;
  private readonly victimCtx: VictimContext;
  // Reused per-step scratch (see StepContext): tokens per tenant index, whether the tenant got a row this
  // step, which tenants the grant allows, the map handed to the sharing policy, and iteration copies.
  private readonly tenantTokens: Int32Array;
  private readonly tenantHasRow: Uint8Array;
  private readonly tenantAllowed: Uint8Array;
  private readonly tokensByTenant = new Map<string, number>();
  private readonly runningScratch: (Request | null)[] = [];
  private readonly waitingScratch: (Request | null)[] = [];
  private readonly updateReqs: (Request | null)[] = [];
  private readonly updateToks: (readonly number[] | null)[] = [];
  /**
   * The request of each row of the last output (`rowReqs[i]` is `lastOutput.scheduled[i]`'s), so `update`
   * of that output finds them without a lookup by id. Built in step with `ctx.rows`, then compacted like it.
   */
  private readonly rowReqs: (Request | null)[] = [];
  private numRowReqs = 0;
  private lastOutput: SchedulerOutput | null = null;

  constructor(pool: PagePool, config: SchedulerConfig) {
    this.pool = pool;
    this.config = resolveConfig(config, pool.pageBytes, pool.numUsablePages);
    const c = this.config;
    this.queuePolicy = createQueuePolicy(c.queuePolicy);
    this.victimPolicy = createVictimPolicy(c.victimPolicy);
    this.sharing = createSharingPolicy(c.sharingPolicy, { timeSliceMode: c.timeSliceMode, fairShareDecay: c.fairShareDecay });
    this.swapSpace = new HostSwapSpace(c.numHostSwapPages);
    c.tenants.forEach((t, index) => {
      const st: TenantState = { cfg: t, index };
      this.tenants.set(t.id, st);
      this.tenantList.push(st);
      this.tenantMetrics.set(t.id, emptyTenantMetrics(t.id));
    });
    this.tenantTokens = new Int32Array(c.tenants.length);
    this.tenantHasRow = new Uint8Array(c.tenants.length);
    this.tenantAllowed = new Uint8Array(c.tenants.length);
    const regions = this.sharing.regions(this.tenantList.map((t) => t.cfg));
    if (regions) pool.setRegions(regions);
    const self = this;
    this.view = {
      get step() {
        return self.stepIndex;
      },
      get numReleases() {
        return self.releases;
      },
      numUsablePages: pool.numUsablePages,
      sessionIds: this.sessionIds,
      sessionWeight: (id) => this.sessions.get(id)?.weight ?? 1,
      tenants: this.tenantList.map((t) => t.cfg),
      tenantUsage: (t) => pool.tenantUsage(t),
      hasWork: (sid, tenant) => {
        const s = this.sessions.get(sid);
        if (!s) return false;
        return tenant === null ? s.running.length + s.waiting.length > 0 : (s.numWork.get(tenant) ?? 0) > 0;
      },
    };
    this.victimCtx = {
      tenantOverShare: (t) => {
        const q = this.tenants.get(t)?.cfg.quotaPages ?? 0;
        return (pool.tenantUsage(t) - q) / Math.max(q, 1);
      },
    };
    for (const s of c.sessions) this.createSession(s);
  }

  /** Loads another model into the shared pool (not allowed under `partition` once requests exist). */
  addSession(config: SessionConfig): void {
    const resolved = resolveConfig({ ...this.config, hooks: this.config.hooks, sessions: [config], tenants: this.config.tenants }, this.pool.pageBytes, this.pool.numUsablePages);
    if (this.sessions.has(config.id)) throw new ServingError('invalid-config', `Session "${config.id}" is already loaded.`);
    this.createSession(resolved.sessions[0]!);
  }

  private createSession(s: ResolvedSchedulerConfig['sessions'][number]): void {
    const c = this.config;
    const alloc: KVCacheAllocator =
      c.allocator === 'contiguous'
        ? new ContiguousAllocator(this.pool, { modelId: s.id, tokensPerPage: s.tokensPerPage, maxModelLen: s.maxModelLen, swapSpace: this.swapSpace })
        : new KVCacheManager(this.pool, {
            modelId: s.id,
            tokensPerPage: s.tokensPerPage,
            maxModelLen: s.maxModelLen,
            enablePrefixCaching: c.enablePrefixCaching,
            swapSpace: this.swapSpace,
          });
    this.sessions.set(s.id, { id: s.id, alloc, maxModelLen: s.maxModelLen, weight: s.weight, running: [], waiting: [], numWork: new Map() });
    this.sessionIds.push(s.id);
  }

  // ---------------------------------------------------------------- requests

  /**
   * Submits a request. Invalid requests (unknown model or tenant, empty or too long prompt, impossible
   * sizes) come back finished with state `rejected` and a reason; nothing else is affected. Throws only
   * for a missing or duplicate request id.
   */
  addRequest(spec: RequestSpec): Request {
    if (typeof spec.requestId !== 'string' || spec.requestId === '') throw new ServingError('invalid-request', 'A request needs a non-empty requestId.');
    if (this.requests.has(spec.requestId) || this.finished.has(spec.requestId)) {
      throw new ServingError('invalid-request', `Request id "${spec.requestId}" was already submitted.`);
    }
    const now = this.config.clock();
    const req = new Request({ ...spec, promptTokenIds: Array.isArray(spec.promptTokenIds) ? spec.promptTokenIds : [] }, spec.arrivalTime ?? now);
    const reason = this.validate(spec);
    if (reason !== null) {
      this.pendingDecisions.push({ kind: 'rejected', requestId: req.requestId, tenant: req.tenant, reason });
      this.finalize(req, 'rejected', reason, now);
      return req;
    }
    const tenant = this.tenants.get(spec.tenant)!;
    req.tenantIndex = tenant.index;
    req.region = this.sharing.regionOf(tenant.index);
    req.cacheSalt = this.sharing.isolatesCache() || tenant.cfg.isolateCache ? tenant.cfg.id : null;
    req.queueSeq = ++this.backSeq;
    if (req.gang) {
      const id = req.gang.id;
      const g = this.gangInfo.get(id);
      if (g) g.numSubmitted++;
      else this.gangInfo.set(id, { size: req.gang.size, model: req.model, numSubmitted: 1, failed: null, arrivalStep: this.stepIndex });
      const info = this.gangInfo.get(id)!;
      if (info.numSubmitted < info.size) this.incompleteGangs.add(id);
      else this.incompleteGangs.delete(id);
    }
    const s = this.sessions.get(req.model)!;
    s.waiting.push(req);
    this.addWork(s, req.tenant, 1);
    this.requests.set(req.requestId, req);
    return req;
  }

  /** Cancels a request (and the samples forked from it). Returns false if it was unknown or already finished. */
  abortRequest(requestId: string, detail = 'cancelled by client'): boolean {
    const req = this.requests.get(requestId);
    if (!req) return false;
    for (const r of [...this.requests.values()]) if (r.parentId === requestId) this.finish(r, 'cancelled', detail, this.config.clock());
    this.finish(req, 'cancelled', detail, this.config.clock());
    return true;
  }

  /**
   * Device loss: the KV cache is gone, so every running request (of `sessionId`, or of every session when
   * null) is preempted by recompute, whatever `preemptionMode` says: its pages (and fork reservations) are
   * freed, its computed tokens forgotten, and it goes back to the FRONT of its waiting queue, the victims in
   * arrival order (ties: admission order) ahead of everything already waiting. Also:
   * - waiting requests with KV in host swap slots drop it and will recompute too (the copy may be the one
   *   of the step in flight when the device went, never completed);
   * - the affected models' cached free pages leave the prefix cache (their KV was on the lost device);
   * - an output scheduled but not yet `update`d is stale: its rows' requests are no longer running, so
   *   `update` ignores them (the engine may also just drop it).
   * One `preempted` decision (mode `recompute`, reason `device-lost`, `forRequestId` null, `detail`) per
   * running request goes into the next step's record, counted in stats and tenant metrics as preemptions.
   * Throws for an unknown session. Returns the preempted request ids in their new queue order.
   */
  preemptAll(sessionId: string | null = null, detail = 'GPU device lost'): string[] {
    const sessions = sessionId === null ? [...this.sessions.values()] : [this.session(sessionId)];
    const victims: Request[] = [];
    for (const s of sessions) for (const r of s.running) victims.push(r);
    victims.sort((a, b) => a.arrivalTime - b.arrivalTime || a.admitSeq - b.admitSeq);
    // Front keys in reverse, so the earliest arrival gets the smallest key (fcfs sorts by key).
    for (let i = victims.length - 1; i >= 0; i--) victims[i]!.queueSeq = --this.frontSeq;
    for (const v of victims) {
      const s = this.sessions.get(v.model)!;
      s.running.splice(s.running.indexOf(v), 1);
      const numPages = s.alloc.blockTable(v.requestId).length + s.alloc.reservedPages(v.requestId).length;
      s.alloc.free(v);
      this.dropPlaceholders(v);
      v.numComputedTokens = 0;
      v.state = 'preempted';
      v.numPreemptions++;
      this.releases++;
      s.waiting.push(v);
      this.stats.numPreemptions++;
      this.stats.numRecomputePreemptions++;
      this.tenantMetrics.get(v.tenant)!.numPreemptions++;
      this.pendingDecisions.push({
        kind: 'preempted',
        requestId: v.requestId,
        tenant: v.tenant,
        session: s.id,
        mode: 'recompute',
        reason: 'device-lost',
        forRequestId: null,
        numPagesFreed: numPages,
        swapFellBack: false,
        detail,
      });
      this.config.hooks.onPreempted?.(v, 'recompute', 'device-lost');
    }
    for (const s of sessions) {
      for (const r of s.waiting) {
        if (!s.alloc.isSwapped(r.requestId)) continue;
        s.alloc.free(r);
        r.numComputedTokens = 0;
      }
      this.pool.resetPrefixCache(s.id);
    }
    return victims.map((v) => v.requestId);
  }

  /**
   * Unloads a session (model): its unfinished requests (running, waiting, swapped, gang members) finish
   * `cancelled` with `detail`, its pages go back to the pool and its cached pages leave the prefix cache (a
   * model loaded later under the same id must not hit them), and the session is forgotten. Other sessions'
   * requests, pages and queues are untouched. Returns false for an unknown session.
   */
  removeSession(sessionId: string, detail = `model "${sessionId}" was unloaded`): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    const now = this.config.clock();
    const members = [...s.running, ...s.waiting];
    // Mark the session's unadmitted gangs failed first, so each member is cancelled with `detail` rather
    // than by the gang-failure cascade of the first one.
    for (const r of members) {
      if (r.gang && !r.gangAdmitted) {
        const g = this.gangInfo.get(r.gang.id);
        if (g && !g.failed) g.failed = detail;
        this.incompleteGangs.delete(r.gang.id);
      }
    }
    for (const r of members) {
      this.gangWait.delete(r.gang ? `g:${r.gang.id}` : `n:${r.requestId}`);
      this.finish(r, 'cancelled', detail, now);
    }
    this.pool.resetPrefixCache(sessionId);
    this.sessions.delete(sessionId);
    this.sessionIds.splice(this.sessionIds.indexOf(sessionId), 1);
    return true;
  }

  private session(sessionId: string): Session {
    const s = this.sessions.get(sessionId);
    if (!s) throw new ServingError('unknown-model', `Unknown session "${sessionId}"; loaded: ${this.sessionIds.join(', ')}.`);
    return s;
  }

  getRequest(requestId: string): Request | undefined {
    return this.requests.get(requestId) ?? this.finished.get(requestId);
  }

  /** Finished requests since the last call (and forgets them). */
  drainFinished(): Request[] {
    const out = [...this.finished.values()];
    this.finished.clear();
    return out;
  }

  /** See `SharingView.numReleases` (events that may unblock admission); for tests and views. */
  get numReleases(): number {
    return this.releases;
  }

  get numUnfinishedRequests(): number {
    return this.requests.size;
  }

  hasUnfinishedRequests(): boolean {
    return this.requests.size > 0;
  }

  running(sessionId: string): readonly Request[] {
    return this.sessions.get(sessionId)?.running ?? [];
  }

  waiting(sessionId: string): readonly Request[] {
    return this.sessions.get(sessionId)?.waiting ?? [];
  }

  allocator(sessionId: string): KVCacheAllocator {
    return this.session(sessionId).alloc;
  }

  metricsByTenant(): TenantMetrics[] {
    return [...this.tenantMetrics.values()];
  }

  private validate(spec: RequestSpec): string | null {
    if (spec.requestId.includes('#')) return `request id "${spec.requestId}" contains '#', which names the samples forked from an n > 1 request (<id>#k)`;
    const s = this.sessions.get(spec.model);
    if (!s) return `unknown model "${String(spec.model)}"; loaded: ${this.sessionIds.join(', ')}`;
    const t = this.tenants.get(spec.tenant);
    if (!t) return `unknown tenant "${String(spec.tenant)}"; known: ${this.tenantList.map((x) => x.cfg.id).join(', ')}`;
    const p = spec.promptTokenIds;
    if (!Array.isArray(p) || p.length === 0) return 'empty prompt';
    if (p.some((x) => !Number.isInteger(x) || x < 0)) return 'prompt token ids must be non-negative integers';
    if (p.length >= s.maxModelLen) return `prompt of ${p.length} tokens leaves no room for output: max_model_len of "${s.id}" is ${s.maxModelLen}`;
    if (!Number.isInteger(spec.maxTokens) || spec.maxTokens < 1) return `maxTokens must be a positive integer, got ${String(spec.maxTokens)}`;
    const n = spec.n ?? 1;
    if (!Number.isInteger(n) || n < 1) return `n must be a positive integer, got ${String(n)}`;
    if (spec.priority !== undefined && !Number.isFinite(spec.priority)) return `priority must be a finite number`;
    if (spec.gang) {
      const { id, size } = spec.gang;
      if (!Number.isInteger(size) || size < 1) return `gang "${id}" size must be a positive integer, got ${String(size)}`;
      if (n > 1) return 'a gang member must have n = 1 (n > 1 is its own gang)';
      const g = this.gangInfo.get(id);
      if (g?.failed) return `gang "${id}" failed: ${g.failed}`;
      if (g && (g.size !== size || g.model !== spec.model)) return `gang "${id}" was declared with size ${g.size} on model "${g.model}"`;
      if (g && g.numSubmitted >= g.size) return `gang "${id}" already has its ${g.size} members`;
    }
    const tpp = s.alloc.tokensPerPage;
    const maxLen = Math.min(p.length + spec.maxTokens, s.maxModelLen);
    const need =
      s.alloc.kind === 'contiguous' ? n * Math.ceil(s.maxModelLen / tpp) : Math.ceil(maxLen / tpp) + (n - 1);
    const limit = this.sharing.maxPagesPerRequest(t.cfg, this.view);
    if (need > limit) return `needs up to ${need} pages (${maxLen} tokens x n=${n}); tenant "${t.cfg.id}" can hold at most ${limit} under ${this.sharing.name}`;
    return null;
  }

  // ---------------------------------------------------------------- schedule

  /** Decides one step. See the class docs for the order of work. */
  schedule(): SchedulerOutput {
    const now = this.config.clock();
    const step = ++this.stepIndex;
    this.stats.numSteps++;
    if (this.incompleteGangs.size > 0) this.expireIncompleteGangs(step, now);
    const decisions = this.pendingDecisions;
    this.pendingDecisions = [];
    const ctx: StepContext = {
      step,
      now,
      budget: this.config.maxNumBatchedTokens,
      rows: [],
      dropped: null,
      copies: [],
      swapOut: [],
      swapIn: [],
      preempted: [],
      decisions,
      preemptedWhileRunning: false,
      numPrefill: 0,
      numDecode: 0,
      allowAll: true,
    };
    this.tenantTokens.fill(0);
    this.tenantHasRow.fill(0);
    this.rowReqs.fill(null, 0, this.numRowReqs);
    this.numRowReqs = 0;
    this.lastOutput = null;
    for (const s of this.sessions.values()) {
      const c = s.alloc.drainCopies();
      if (c.length > 0) ctx.copies.push(...c);
    }
    const grant = this.sharing.grantStep(this.view);
    const session = grant.sessionId !== null ? this.sessions.get(grant.sessionId)! : null;
    if (session) {
      if (grant.tenants) {
        ctx.allowAll = false;
        this.tenantAllowed.fill(0);
        for (const t of grant.tenants) {
          const ts = this.tenants.get(t);
          if (ts) this.tenantAllowed[ts.index] = 1;
        }
      }
      this.scheduleRunning(session, ctx);
      if (!ctx.preemptedWhileRunning) this.scheduleWaiting(session, ctx);
      this.sharing.onStepScheduled(this.tokensByTenantMap(), grant, this.view);
    }
    if (ctx.rows.length === 0) this.stats.numIdleSteps++;
    if (this.sharing.name === 'fair-share') this.recordBorrowing(ctx);
    const record = this.buildRecord(ctx, grant.sessionId, grant.tenants, grant.reason);
    const finishedIds = this.pendingFinishedIds;
    this.pendingFinishedIds = [];
    const output: SchedulerOutput = {
      step,
      sessionId: grant.sessionId,
      tokensPerPage: session ? session.alloc.tokensPerPage : 0,
      scheduled: ctx.dropped !== null ? this.dropRows(ctx.rows, ctx.dropped) : ctx.rows,
      numScheduledTokens: this.config.maxNumBatchedTokens - ctx.budget,
      pagesToCopy: ctx.copies,
      swapOut: ctx.swapOut,
      swapIn: ctx.swapIn,
      preempted: ctx.preempted,
      finishedIds,
      record,
    };
    this.lastOutput = output;
    return output;
  }

  /** `rows` without the dropped ones, compacting `rowReqs` the same way. */
  private dropRows(rows: ScheduledRequest[], dropped: Set<ScheduledRequest>): ScheduledRequest[] {
    const kept: ScheduledRequest[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (dropped.has(rows[i]!)) continue;
      this.rowReqs[kept.length] = this.rowReqs[i]!;
      kept.push(rows[i]!);
    }
    this.rowReqs.fill(null, kept.length, rows.length);
    this.numRowReqs = kept.length;
    return kept;
  }

  /** Decode-first: every running request of the step's session gets its next tokens, preempting if needed. */
  private scheduleRunning(session: Session, ctx: StepContext): void {
    const chunked = this.config.enableChunkedPrefill;
    // Iterate over a copy (preemption removes from `running`), kept in a reused array.
    const list = this.runningScratch;
    const n = copyInto(list, session.running);
    for (let i = 0; i < n; i++) {
      const req = list[i]!;
      if (ctx.budget <= 0) break;
      if (req.state !== 'running' || req.touchedStep === ctx.step || !this.allowed(req, ctx)) continue;
      const ahead = req.numTokens + req.numPlaceholders;
      // Its last token is still on the GPU (pipelined steps): an n > 1 request waits for it (the forks copy
      // the parent as of that step), and one that ends by length when it lands is not run past it.
      if (req.numPlaceholders > 0 && (req.pendingForks > 0 || req.numOutputTokens + req.numPlaceholders >= req.maxTokens || ahead >= session.maxModelLen)) continue;
      const remaining = ahead - req.numComputedTokens;
      if (remaining <= 0) continue;
      const numNew = this.clampTokens(remaining, ctx.budget);
      if (!chunked && numNew < remaining) continue;
      const res = this.allocateOrPreempt(session, req, numNew, EMPTY_COMPUTED, 0, 'running', ctx);
      if (res === 'self') continue;
      if ('blocked' in res) {
        ctx.decisions.push({ kind: 'blocked', requestId: req.requestId, tenant: req.tenant, reason: res.blocked, detail: res.detail });
        continue;
      }
      this.scheduleRow(session, req, numNew, res, ctx);
    }
    list.fill(null, 0, n);
  }

  /** Whether the step's grant lets `req`'s tenant run. */
  private allowed(req: Request, ctx: StepContext): boolean {
    return ctx.allowAll || this.tenantAllowed[req.tenantIndex] === 1;
  }

  /** The tokens each tenant got this step, as the sharing policy reads them (one reused map). */
  private tokensByTenantMap(): ReadonlyMap<string, number> {
    const m = this.tokensByTenant;
    m.clear();
    for (let i = 0; i < this.tenantList.length; i++) if (this.tenantHasRow[i] === 1) m.set(this.tenantList[i]!.cfg.id, this.tenantTokens[i]!);
    return m;
  }

  /** Admission from the waiting queue in policy order; stops at the first request that does not fit. */
  private scheduleWaiting(session: Session, ctx: StepContext): void {
    const waiting = session.waiting;
    if (waiting.length === 0) return;
    this.queuePolicy.order(waiting, this.queueContext(session));
    const staticBatch = this.config.batching === 'static';
    if (staticBatch && session.running.length > 0) {
      // Pre-Orca: nothing joins a running batch. Recorded once per step, on the first request that could go.
      for (let i = 0; i < waiting.length; i++) {
        const req = waiting[i]!;
        if (!this.allowed(req, ctx) || req.notBeforeStep > ctx.step) continue;
        this.block(ctx, req, 'static-batch', `static batching: ${session.running.length} request(s) of the running batch have not finished`);
        break;
      }
      return;
    }
    let seenGangs: Set<string> | null = null;
    const list = this.waitingScratch;
    const n = copyInto(list, waiting);
    for (let i = 0; i < n; i++) {
      const req = list[i]!;
      if (req.state !== 'waiting' && req.state !== 'preempted') continue;
      if (!this.allowed(req, ctx) || req.notBeforeStep > ctx.step) continue;
      const gangKey = this.gangKey(req);
      if (gangKey !== null) {
        seenGangs ??= new Set();
        if (seenGangs.has(gangKey)) continue;
        seenGangs.add(gangKey);
        if (this.tryAdmitGang(session, req, gangKey, ctx) === 'blocked') break;
        continue;
      }
      // A static batch is not cut by the budget: members past it are admitted with 0 tokens this step.
      if (ctx.budget <= 0 && !staticBatch) {
        this.block(ctx, req, 'budget', `token budget ${this.config.maxNumBatchedTokens} used up`);
        break;
      }
      if (session.running.length >= this.config.maxNumSeqs) {
        this.block(ctx, req, 'max-seqs', `${session.running.length} running = max_num_seqs ${this.config.maxNumSeqs}`);
        break;
      }
      if (!this.tryAdmit(session, req, ctx, staticBatch)) break;
    }
    list.fill(null, 0, n);
  }

  /**
   * Admits one waiting request with the tokens the budget allows. A static batch member (`staticBatch`)
   * reserves pages for its whole prompt at once and may get 0 tokens this step (no budget left, or a prompt
   * that must run whole with chunked prefill off): the running loop computes it in later steps.
   */
  private tryAdmit(session: Session, req: Request, ctx: StepContext, staticBatch: boolean): boolean {
    const alloc = session.alloc;
    const swapped = alloc.isSwapped(req.requestId);
    const computed = req.numComputedTokens === 0 && !swapped ? alloc.getComputedPages(req) : EMPTY_COMPUTED;
    const remaining = req.numTokens - req.numComputedTokens - computed.numComputedTokens;
    const tooLong = !this.config.enableChunkedPrefill && remaining > ctx.budget;
    if (tooLong && !staticBatch) {
      this.block(ctx, req, 'budget', `needs ${remaining} tokens, ${ctx.budget} left of the budget (chunked prefill off)`);
      return false;
    }
    const numNew = staticBatch && (tooLong || ctx.budget <= 0) ? 0 : this.clampTokens(remaining, ctx.budget);
    const lookahead = staticBatch ? remaining - numNew : 0;
    const res = this.allocateOrPreempt(session, req, numNew, computed, lookahead, 'admission', ctx);
    if (res === 'self') return false;
    if ('blocked' in res) {
      this.block(ctx, req, res.blocked, res.detail);
      return false;
    }
    this.admit(session, req, computed, swapped, numNew, ctx);
    if (numNew > 0) this.scheduleRow(session, req, numNew, res, ctx);
    return true;
  }

  /** n > 1 before its fork, or a tagged gang's first admission: all members or none. */
  private tryAdmitGang(session: Session, first: Request, key: string, ctx: StepContext): 'admitted' | 'blocked' | 'skip' {
    const members = key.startsWith('g:') ? session.waiting.filter((r) => r.gang?.id === first.gang!.id && this.gangKey(r) === key) : [first];
    const gangId = first.gang ? first.gang.id : first.requestId;
    if (first.gang && members.length < first.gang.size) {
      this.block(ctx, first, 'gang-incomplete', `gang "${gangId}": ${members.length} of ${first.gang.size} members have arrived`);
      return 'skip';
    }
    if (members.some((m) => !this.allowed(m, ctx) || m.notBeforeStep > ctx.step)) return 'skip';
    const alloc = session.alloc;
    const never = this.gangNeverFits(session, members);
    if (never !== null) {
      for (const m of members) {
        this.pendingDecisions.push({ kind: 'rejected', requestId: m.requestId, tenant: m.tenant, reason: never });
        this.finish(m, 'rejected', never, ctx.now);
      }
      return 'skip';
    }
    const asks = members.map((m) => this.gangAsk(alloc, m));
    let blocked: BlockReason | null = null;
    let detail = '';
    if (session.running.length + members.length > this.config.maxNumSeqs) {
      blocked = 'gang-max-seqs';
      detail = `${members.length} members + ${session.running.length} running > max_num_seqs ${this.config.maxNumSeqs}`;
    } else {
      const byTenant = new Map<string, number>();
      for (const a of asks) byTenant.set(a.req.owner.tenant, (byTenant.get(a.req.owner.tenant) ?? 0) + alloc.numPagesNeeded(a));
      for (const [t, need] of byTenant) {
        const limit = this.sharing.pageLimit(this.tenants.get(t)!.cfg, this.view);
        if (this.pool.tenantUsage(t) + need > limit) {
          blocked = 'gang-quota';
          detail = `tenant "${t}" holds ${this.pool.tenantUsage(t)} pages, the gang needs ${need} more, limit ${limit}`;
        }
      }
      if (!blocked && !alloc.canAllocateAll(asks)) {
        blocked = 'gang-pages';
        const need = asks.reduce((n, a) => n + alloc.numPagesNeeded(a), 0);
        detail = `gang "${gangId}" needs ${need} pages for all ${asks.length} member(s) at once; ${this.pool.numFreePages(first.region)} free`;
      }
    }
    if (blocked) return this.gangBlocked(members, key, gangId, blocked, detail, ctx);
    this.gangWait.delete(key);
    for (const m of members) {
      const swapped = alloc.isSwapped(m.requestId);
      // Recomputed per member: an earlier member's fresh pages may have evicted this one's cached hits.
      const computed = m.numComputedTokens === 0 && !swapped ? alloc.getComputedPages(m) : EMPTY_COMPUTED;
      const remaining = m.numTokens - m.numComputedTokens - computed.numComputedTokens;
      const numNew = ctx.budget > 0 ? this.clampTokens(remaining, ctx.budget) : 0;
      const a = alloc.allocateSlots(m, m.numComputedTokens, numNew, computed, remaining - numNew);
      if (!a || !alloc.reserveForks(m, m.pendingForks)) throw new ServingError('pool-exhausted', `gang "${gangId}": allocation failed after the fit check (bug).`);
      if (m.gang) m.gangAdmitted = true;
      this.admit(session, m, computed, swapped, numNew, ctx);
      if (numNew > 0) this.scheduleRow(session, m, numNew, a, ctx);
    }
    if (first.gang) ctx.decisions.push({ kind: 'gang-admitted', gangId, requestIds: members.map((m) => m.requestId) });
    return 'admitted';
  }

  /**
   * A tagged gang still missing members after `gangTimeoutSteps * gangArrivalTimeoutFactor` steps since its
   * first member arrived is failed: its arrived members finish `rejected` with the reason, members that
   * arrive later are rejected at submission. Runs before the step's admissions; with T that product and
   * the first member submitted after step a, the gang waits through steps a+1 .. a+T and is rejected at
   * step a+T+1.
   */
  private expireIncompleteGangs(step: number, now: number): void {
    const k = this.config.gangArrivalTimeoutFactor;
    const timeout = this.config.gangTimeoutSteps * k;
    for (const id of [...this.incompleteGangs]) {
      const g = this.gangInfo.get(id)!;
      if (g.failed !== null || g.numSubmitted >= g.size) {
        this.incompleteGangs.delete(id);
        continue;
      }
      if (step - g.arrivalStep <= timeout) continue;
      this.incompleteGangs.delete(id);
      const reason = `gang "${id}": ${g.numSubmitted} of ${g.size} members arrived within ${timeout} steps (gangTimeoutSteps ${this.config.gangTimeoutSteps} x ${k})`;
      // Failed before the members finish, so they are rejected with this reason (no cancel cascade).
      g.failed = reason;
      const s = this.sessions.get(g.model);
      if (!s) continue;
      for (const m of s.waiting.slice()) {
        if (m.gang?.id !== id || m.gangAdmitted) continue;
        this.pendingDecisions.push({ kind: 'rejected', requestId: m.requestId, tenant: m.tenant, reason });
        this.finish(m, 'rejected', reason, now);
      }
    }
  }

  /** Why a complete gang can never be admitted even on an empty pool, or null. */
  private gangNeverFits(session: Session, members: Request[]): string | null {
    if (members.length > this.config.maxNumSeqs) return `gang of ${members.length} exceeds max_num_seqs ${this.config.maxNumSeqs}`;
    const alloc = session.alloc;
    const byTenant = new Map<string, number>();
    for (const m of members) {
      const need =
        alloc.kind === 'contiguous'
          ? (1 + m.pendingForks) * Math.ceil(alloc.maxModelLen / alloc.tokensPerPage)
          : Math.ceil(m.numTokens / alloc.tokensPerPage) + m.pendingForks;
      byTenant.set(m.tenant, (byTenant.get(m.tenant) ?? 0) + need);
    }
    for (const [t, need] of byTenant) {
      const cap = this.sharing.maxPagesPerRequest(this.tenants.get(t)!.cfg, this.view);
      if (need > cap) return `gang needs ${need} pages at once for tenant "${t}"; it can hold at most ${cap}`;
    }
    return null;
  }

  private gangAsk(alloc: KVCacheAllocator, m: Request): AllocationAsk {
    const swapped = alloc.isSwapped(m.requestId);
    const computed = m.numComputedTokens === 0 && !swapped ? alloc.getComputedPages(m) : EMPTY_COMPUTED;
    const remaining = m.numTokens - m.numComputedTokens - computed.numComputedTokens;
    return { req: m, numComputedTokens: m.numComputedTokens, numNewTokens: 0, computed, numLookaheadTokens: remaining, numForks: m.pendingForks };
  }

  /** A blocked gang stops admission, until it has waited `gangTimeoutSteps`; then it is requeued. */
  private gangBlocked(members: Request[], key: string, gangId: string, reason: BlockReason, detail: string, ctx: StepContext): 'blocked' | 'skip' {
    const since = this.gangWait.get(key) ?? ctx.step;
    this.gangWait.set(key, since);
    const waited = ctx.step - since;
    if (waited >= this.config.gangTimeoutSteps) {
      this.gangWait.delete(key);
      const until = ctx.step + this.config.gangBackoffSteps;
      for (const m of members) {
        m.queueSeq = ++this.backSeq;
        m.notBeforeStep = until + 1;
      }
      this.stats.numGangRequeues++;
      this.releases++;
      ctx.decisions.push({ kind: 'gang-requeued', gangId, requestIds: members.map((m) => m.requestId), reason, numWaitedSteps: waited, backoffUntilStep: until });
      return 'skip';
    }
    this.block(ctx, members[0]!, reason, `${detail} (waited ${waited} of ${this.config.gangTimeoutSteps} steps)`);
    return 'blocked';
  }

  private gangKey(req: Request): string | null {
    if (req.gang && !req.gangAdmitted) return `g:${req.gang.id}`;
    if (req.pendingForks > 0) return `n:${req.requestId}`;
    return null;
  }

  /**
   * Allocates pages for `numNew` tokens; when that fails, preempts victims chosen by the sharing and victim
   * policies until it fits, the requester itself is preempted ('self'), or no victim is allowed (blocked).
   */
  private allocateOrPreempt(session: Session, req: Request, numNew: number, computed: ComputedPages, lookahead: number, mode: VictimMode, ctx: StepContext): AllocResult {
    const alloc = session.alloc;
    const tenant = this.tenantList[req.tenantIndex]!.cfg;
    for (;;) {
      const limit = this.sharing.pageLimit(tenant, this.view);
      // Under a finite page limit the pages needed decide 'quota'; without one they only name the shortfall,
      // so they are counted after a failed allocation (allocateSlots changes nothing when it fails).
      let need = -1;
      let blocked: 'pages' | 'quota' | null = null;
      let detail = '';
      if (limit !== Infinity) {
        need = alloc.numPagesNeeded({ req, numComputedTokens: req.numComputedTokens, numNewTokens: numNew, computed, numLookaheadTokens: lookahead });
        const usage = this.pool.tenantUsage(req.tenant);
        if (need > 0 && usage + need > limit) {
          blocked = 'quota';
          detail = `tenant "${req.tenant}" holds ${usage} pages, needs ${need} more, limit ${limit}`;
        }
      }
      if (blocked === null) {
        const a = alloc.allocateSlots(req, req.numComputedTokens, numNew, computed, lookahead);
        if (a) return a;
        if (need < 0) need = alloc.numPagesNeeded({ req, numComputedTokens: req.numComputedTokens, numNewTokens: numNew, computed, numLookaheadTokens: lookahead });
        blocked = 'pages';
        detail = `needs ${need} pages, ${this.pool.numFreePages(req.region)} free in region ${req.region}`;
      }
      const f = this.sharing.victimCandidates(req, blocked, this.victimCandidates(req, mode, ctx), mode, this.view);
      if (f.victims.length === 0) return { blocked, detail };
      const victim = this.victimPolicy.pick(f.victims, this.victimCtx);
      this.preempt(victim, f.reason, req, ctx, mode);
      if (victim === req) return 'self';
    }
  }

  /**
   * Running requests that may be preempted: in the running loop, those not yet scheduled this step
   * (including the requester, as vLLM); at admission, also those already scheduled this step (their rows
   * are dropped and their tokens returned to the budget), never those admitted this step.
   */
  private victimCandidates(req: Request, mode: VictimMode, ctx: StepContext): Request[] {
    const out: Request[] = [];
    for (const s of this.sessions.values()) {
      for (const r of s.running) {
        if (mode === 'running' ? r.touchedStep !== ctx.step : r !== req && r.admittedStep !== ctx.step) out.push(r);
      }
    }
    return out;
  }

  /** Takes a preempted request's row back out of this step. */
  private unschedule(victim: Request, ctx: StepContext): void {
    const row = victim.rowStep === ctx.step ? victim.row : null;
    if (!row || (ctx.dropped !== null && ctx.dropped.has(row))) return;
    (ctx.dropped ??= new Set()).add(row);
    ctx.budget += row.numTokens;
    if (row.isPrefill) ctx.numPrefill -= row.numTokens;
    else ctx.numDecode -= row.numTokens;
    this.tenantTokens[victim.tenantIndex]! -= row.numTokens;
    victim.numComputedTokens = row.positionStart;
    if (row.numSamples > 0) victim.numPlaceholders--;
  }

  /**
   * A preempted request forgets the tokens still on the GPU: the in-flight step's sample is dropped (its
   * row is of an older epoch now), so the position that produced it is computed again on resume.
   */
  private dropPlaceholders(r: Request): void {
    r.numComputedTokens = Math.max(0, r.numComputedTokens - r.numPlaceholders);
    r.numPlaceholders = 0;
    r.epoch++;
  }

  private preempt(victim: Request, reason: PreemptReason, forReq: Request, ctx: StepContext, mode: VictimMode): void {
    const s = this.sessions.get(victim.model)!;
    const i = s.running.indexOf(victim);
    if (i >= 0) s.running.splice(i, 1);
    this.unschedule(victim, ctx);
    this.dropPlaceholders(victim);
    const numPages = s.alloc.blockTable(victim.requestId).length + s.alloc.reservedPages(victim.requestId).length;
    let how: 'recompute' | 'swap' = this.config.preemptionMode;
    let fellBack = false;
    if (how === 'swap') {
      const pairs = s.alloc.swapOut(victim, victim.numComputedTokens);
      if (pairs) {
        for (const p of pairs) ctx.swapOut.push(p);
      } else {
        how = 'recompute';
        fellBack = true;
        this.stats.numSwapFallbacks++;
      }
    }
    if (how === 'recompute') {
      s.alloc.free(victim);
      victim.numComputedTokens = 0;
      this.stats.numRecomputePreemptions++;
    } else {
      victim.numSwapPreemptions++;
      this.stats.numSwapPreemptions++;
    }
    victim.state = 'preempted';
    victim.numPreemptions++;
    this.releases++;
    victim.queueSeq = --this.frontSeq;
    s.waiting.push(victim);
    this.stats.numPreemptions++;
    this.tenantMetrics.get(victim.tenant)!.numPreemptions++;
    if (mode === 'running') ctx.preemptedWhileRunning = true;
    ctx.preempted.push(victim.requestId);
    ctx.decisions.push({
      kind: 'preempted',
      requestId: victim.requestId,
      tenant: victim.tenant,
      session: s.id,
      mode: how,
      reason,
      forRequestId: forReq.requestId,
      numPagesFreed: numPages,
      swapFellBack: fellBack,
    });
    if (reason === 'reclaim') ctx.decisions.push({ kind: 'reclaimed', fromTenant: victim.tenant, forTenant: forReq.tenant, numPages });
    this.config.hooks.onPreempted?.(victim, how, reason);
  }

  private admit(session: Session, req: Request, computed: ComputedPages, swappedIn: boolean, numNew: number, ctx: StepContext): void {
    const i = session.waiting.indexOf(req);
    if (i >= 0) session.waiting.splice(i, 1);
    session.running.push(req);
    req.state = 'running';
    req.admitSeq = ++this.admitSeq;
    req.touchedStep = ctx.step;
    req.admittedStep = ctx.step;
    if (!swappedIn && req.numComputedTokens === 0) session.alloc.recordPrefixQuery(req.numTokens, computed.numComputedTokens);
    req.numComputedTokens += computed.numComputedTokens;
    req.numPrefixHitTokens += computed.numComputedTokens;
    if (req.firstScheduledTime === null) req.firstScheduledTime = ctx.now;
    ctx.decisions.push({ kind: 'admitted', requestId: req.requestId, tenant: req.tenant, numTokens: numNew, numPrefixHitTokens: computed.numComputedTokens, swappedIn });
  }

  private scheduleRow(session: Session, req: Request, numNew: number, a: Allocation, ctx: StepContext): void {
    const positionStart = req.numComputedTokens;
    const ahead = req.numTokens + req.numPlaceholders;
    const isDecode = numNew === 1 && positionStart === ahead - 1 && req.numOutputTokens + req.numPlaceholders > 0;
    req.numComputedTokens += numNew;
    const numSamples = req.numComputedTokens >= ahead ? 1 + req.pendingForks : 0;
    if (numSamples > 0) req.numPlaceholders++;
    const alloc = session.alloc;
    const row: ScheduledRequest = {
      requestId: req.requestId,
      tenant: req.tenant,
      numTokens: numNew,
      positionStart,
      isPrefill: !isDecode,
      allTokenIds: req.allTokenIds,
      blockTable: alloc.blockTable(req.requestId),
      newPageIds: a.newPages,
      numSamples,
      sampling: req.sampling,
      epoch: req.epoch,
    };
    ctx.rows.push(row);
    this.rowReqs[this.numRowReqs++] = req;
    req.row = row;
    req.rowStep = ctx.step;
    req.touchedStep = ctx.step;
    ctx.budget -= numNew;
    if (isDecode) ctx.numDecode += numNew;
    else ctx.numPrefill += numNew;
    this.tenantTokens[req.tenantIndex]! += numNew;
    this.tenantHasRow[req.tenantIndex] = 1;
    for (let i = 0; i < a.copies.length; i++) ctx.copies.push(a.copies[i]!);
    for (let i = 0; i < a.swapIn.length; i++) ctx.swapIn.push(a.swapIn[i]!);
    if (req.firstScheduledTime === null) req.firstScheduledTime = ctx.now;
  }

  private clampTokens(remaining: number, budget: number): number {
    let n = remaining;
    // The threshold only splits prompts when chunked prefill is on (as vLLM); off, a prompt runs whole.
    const t = this.config.longPrefillTokenThreshold;
    if (t > 0 && n > t && this.config.enableChunkedPrefill) n = t;
    return Math.min(n, budget);
  }

  private block(ctx: StepContext, req: Request, reason: BlockReason, detail: string): void {
    ctx.decisions.push({ kind: 'blocked', requestId: req.requestId, tenant: req.tenant, reason, detail });
  }

  private queueContext(session: Session): QueueContext {
    return {
      numCachedPrefixTokens: (r) => (r.numComputedTokens === 0 && !session.alloc.isSwapped(r.requestId) ? session.alloc.getComputedPages(r).numComputedTokens : 0),
    };
  }

  private recordBorrowing(ctx: StepContext): void {
    for (const t of this.tenantList) {
      const used = this.pool.tenantUsage(t.cfg.id);
      if (used > t.cfg.quotaPages) ctx.decisions.push({ kind: 'borrowing', tenant: t.cfg.id, numBorrowedPages: used - t.cfg.quotaPages, quotaPages: t.cfg.quotaPages });
    }
  }

  private buildRecord(ctx: StepContext, sessionId: string | null, tenants: readonly string[] | null, reason: string): StepRecord {
    let numRunning = 0;
    let numWaiting = 0;
    for (const s of this.sessions.values()) {
      numRunning += s.running.length;
      numWaiting += s.waiting.length;
    }
    const tenantPages: Record<string, number> = {};
    for (const t of this.tenantList) tenantPages[t.cfg.id] = this.pool.tenantUsage(t.cfg.id);
    return {
      step: ctx.step,
      time: ctx.now,
      sessionId,
      tenantFilter: tenants,
      grantReason: reason,
      numScheduledTokens: this.config.maxNumBatchedTokens - ctx.budget,
      numPrefillTokens: ctx.numPrefill,
      numDecodeTokens: ctx.numDecode,
      numBudgetLeft: ctx.budget,
      numRunning,
      numWaiting,
      decisions: ctx.decisions,
      pool: this.pool.usageSnapshot(),
      tenantPages,
    };
  }

  // ---------------------------------------------------------------- update

  /**
   * Takes the sampled tokens of a step back: `sampled.get(requestId)` holds `numSamples` tokens for every
   * row with numSamples > 0. Appends them, forks n > 1 requests at their first sample, and finishes requests
   * that sampled a stop token or reached maxTokens / max_model_len. Rows of requests aborted or preempted
   * since the step was scheduled are ignored. Throws (changing nothing) when a row's tokens are missing.
   */
  update(output: SchedulerOutput, sampled: ReadonlyMap<string, readonly number[]>): UpdateResult {
    // Pass 1 checks every row (throwing changes nothing) and remembers its request and tokens, so pass 2
    // looks nothing up again. Pass 2 re-checks the state: a fork or finish in pass 2 cannot change a later
    // row's request, but the check keeps the two passes' skip rules one and the same.
    // For the latest output the rows' requests are known (`rowReqs`); a request that is running is the one
    // `requests` maps its id to (ids are unique among unfinished requests), so this equals the lookup.
    const rows = output.scheduled;
    const known = output === this.lastOutput ? this.rowReqs : null;
    const reqs = this.updateReqs;
    const toksOf = this.updateToks;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      reqs[i] = null;
      toksOf[i] = null;
      if (row.numSamples === 0) continue;
      const req = known !== null ? known[i] : this.requests.get(row.requestId);
      if (!req || req.state !== 'running' || req.epoch !== row.epoch) continue;
      const toks = sampled.get(row.requestId);
      if (!toks || toks.length < row.numSamples) {
        reqs.fill(null, 0, i);
        toksOf.fill(null, 0, i);
        throw new ServingError('invalid-update', `update(step ${output.step}): request ${row.requestId} needs ${row.numSamples} sampled token(s), got ${toks ? toks.length : 'none'}.`);
      }
      reqs[i] = req;
      toksOf[i] = toks;
    }
    const now = this.config.clock();
    const finished: Request[] = [];
    let numNewTokens = 0;
    for (let i = 0; i < rows.length; i++) {
      const req = reqs[i];
      if (!req || req.state !== 'running') continue;
      const row = rows[i]!;
      const toks = toksOf[i]!;
      req.numPlaceholders--;
      if (row.numSamples > 1 && req.pendingForks > 0) numNewTokens += this.fork(req, toks, now, finished);
      this.appendToken(req, toks[0]!, now, finished);
      numNewTokens++;
    }
    reqs.fill(null, 0, rows.length);
    toksOf.fill(null, 0, rows.length);
    return { finished, numNewTokens };
  }

  private fork(parent: Request, toks: readonly number[], now: number, finished: Request[]): number {
    const s = this.sessions.get(parent.model)!;
    const childIds: string[] = [];
    let at = s.running.indexOf(parent) + 1;
    for (let k = 1; k < parent.n; k++) {
      const spec: RequestSpec = {
        requestId: `${parent.requestId}#${k}`,
        tenant: parent.tenant,
        model: parent.model,
        promptTokenIds: parent.allTokenIds.slice(0, parent.numPromptTokens),
        maxTokens: parent.maxTokens,
        sampling: { ...parent.sampling, seed: (parent.sampling.seed ?? 0) + k },
        priority: parent.priority,
        ...(parent.slo ? { slo: parent.slo } : {}),
      };
      const child = new Request(spec, parent.arrivalTime, { id: parent.requestId, index: k });
      child.region = parent.region;
      child.tenantIndex = parent.tenantIndex;
      child.cacheSalt = parent.cacheSalt;
      child.numComputedTokens = parent.numComputedTokens;
      child.state = 'running';
      child.admitSeq = ++this.admitSeq;
      child.firstScheduledTime = parent.firstScheduledTime;
      child.numPrefixHitTokens = 0;
      s.alloc.fork(parent, child, parent.numComputedTokens);
      s.running.splice(at++, 0, child);
      this.addWork(s, child.tenant, 1);
      this.requests.set(child.requestId, child);
      childIds.push(child.requestId);
      this.appendToken(child, toks[k]!, now, finished);
    }
    parent.forked = true;
    this.pendingDecisions.push({ kind: 'forked', requestId: parent.requestId, childIds });
    return parent.n - 1;
  }

  private appendToken(req: Request, tok: number, now: number, finished: Request[]): void {
    req.allTokenIds.push(tok);
    req.tokenTimes.push(now);
    if (req.firstTokenTime === null) req.firstTokenTime = now;
    this.config.hooks.onToken?.(req, tok, now);
    const maxLen = this.sessions.get(req.model)!.maxModelLen;
    if (req.sampling.stopTokenIds?.includes(tok)) {
      this.finish(req, 'stop', `stop token ${tok}`, now);
      finished.push(req);
    } else if (req.numOutputTokens >= req.maxTokens || req.numTokens >= maxLen) {
      this.finish(req, 'length', req.numOutputTokens >= req.maxTokens ? `maxTokens ${req.maxTokens}` : `max_model_len ${maxLen}`, now);
      finished.push(req);
    }
  }

  private finish(req: Request, reason: FinishReason, detail: string, now: number): void {
    if (req.state === 'finished') return;
    this.releases++;
    const s = this.sessions.get(req.model)!;
    let i = s.running.indexOf(req);
    if (i >= 0) s.running.splice(i, 1);
    i = s.waiting.indexOf(req);
    if (i >= 0) s.waiting.splice(i, 1);
    s.alloc.free(req);
    this.addWork(s, req.tenant, -1);
    this.requests.delete(req.requestId);
    this.pendingDecisions.push({ kind: 'finished', requestId: req.requestId, tenant: req.tenant, reason: `${reason}: ${detail}` });
    this.finalize(req, reason, detail, now);
  }

  /**
   * All or nothing: when a gang member is cancelled or rejected before the gang was admitted, the other
   * waiting members are cancelled and later members rejected, instead of waiting forever.
   */
  private failGang(req: Request, detail: string, now: number): void {
    const id = req.gang!.id;
    let g = this.gangInfo.get(id);
    if (!g) this.gangInfo.set(id, (g = { size: req.gang!.size, model: req.model, numSubmitted: 0, failed: null, arrivalStep: this.stepIndex }));
    if (g.failed) return;
    g.failed = `member ${req.requestId} ended (${detail})`;
    const s = this.sessions.get(req.model);
    if (!s) return;
    for (const m of s.waiting.slice()) {
      if (m !== req && m.gang?.id === id && !m.gangAdmitted) this.finish(m, 'cancelled', `gang "${id}" failed: ${g.failed}`, now);
    }
  }

  private finalize(req: Request, reason: FinishReason, detail: string, now: number): void {
    req.state = 'finished';
    req.finishReason = reason;
    req.finishDetail = detail;
    req.finishTime = now;
    this.finished.set(req.requestId, req);
    this.pendingFinishedIds.push(req.requestId);
    if (req.gang && !req.gangAdmitted && (reason === 'cancelled' || reason === 'rejected')) this.failGang(req, detail, now);
    if (reason === 'rejected') this.stats.numRejected++;
    else if (reason === 'cancelled') this.stats.numCancelled++;
    else this.stats.numFinished++;
    const m = computeRequestMetrics(req);
    const tm = this.tenantMetrics.get(req.tenant);
    if (tm) addToTenantMetrics(tm, m);
    this.config.hooks.onRequestFinished?.(m, req);
  }

  private addWork(s: Session, tenant: string, delta: number): void {
    s.numWork.set(tenant, (s.numWork.get(tenant) ?? 0) + delta);
  }

  // ---------------------------------------------------------------- checks

  /** Throws with a description of the first broken invariant (pool, queues, ref counts, partitions). */
  checkInvariants(): void {
    this.pool.checkInvariants();
    const refs = new Map<number, number>();
    const seen = new Set<string>();
    for (const s of this.sessions.values()) {
      for (const r of s.running) {
        if (r.state !== 'running') throw new Error(`${r.requestId} is in running with state ${r.state}.`);
        if (seen.has(r.requestId)) throw new Error(`${r.requestId} is queued twice.`);
        seen.add(r.requestId);
        if (r.numComputedTokens > r.numTokens + r.numPlaceholders) throw new Error(`${r.requestId} computed ${r.numComputedTokens} > ${r.numTokens} + ${r.numPlaceholders} pending tokens.`);
        // One pending token per un-updated step: at most 2 (the step in flight and the one just scheduled).
        if (r.numPlaceholders < 0 || r.numPlaceholders > 2) throw new Error(`${r.requestId} has ${r.numPlaceholders} pending tokens.`);
        const cap = s.alloc.blockTable(r.requestId).length * s.alloc.tokensPerPage;
        if (cap < r.numComputedTokens) throw new Error(`${r.requestId} has ${cap} slots for ${r.numComputedTokens} computed tokens.`);
      }
      for (const r of s.waiting) {
        if (r.state !== 'waiting' && r.state !== 'preempted') throw new Error(`${r.requestId} is in waiting with state ${r.state}.`);
        if (seen.has(r.requestId)) throw new Error(`${r.requestId} is queued twice.`);
        seen.add(r.requestId);
        if (s.alloc.blockTable(r.requestId).length > 0) throw new Error(`waiting ${r.requestId} holds pages.`);
      }
      for (const id of s.alloc.requestIds()) {
        const r = this.requests.get(id);
        if (!r || r.state !== 'running') throw new Error(`${id} holds pages but is not running.`);
        const region = this.pool.regions[r.region]!;
        for (const p of [...s.alloc.blockTable(id), ...s.alloc.reservedPages(id)]) {
          refs.set(p, (refs.get(p) ?? 0) + 1);
          if (p < region.start || p >= region.end) throw new Error(`${id} (tenant ${r.tenant}) holds page ${p} outside its region ${region.name}.`);
        }
      }
    }
    for (const id of this.requests.keys()) if (!seen.has(id)) throw new Error(`${id} is unfinished but in no queue.`);
    for (let p = 1; p < this.pool.numPages; p++) {
      if ((refs.get(p) ?? 0) !== this.pool.refCountOf(p)) {
        throw new Error(`page ${p}: ref count ${this.pool.refCountOf(p)} but held by ${refs.get(p) ?? 0} table entries.`);
      }
    }
  }
}

/**
 * Copies `src` into the front of the reused array `dst` and returns the count. `dst` only grows (setting
 * `length` smaller would let V8 free its backing store, to be reallocated next step); the caller nulls the
 * entries after use so finished requests are not kept alive.
 */
function copyInto<T>(dst: (T | null)[], src: readonly T[]): number {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
  return src.length;
}
