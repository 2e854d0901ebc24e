/**
 * A request (one sequence) and its life: waiting -> running -> (preempted -> waiting ->) finished.
 * A request with n > 1 samples is one sequence until its prompt is computed; at the first sample it forks
 * into n sequences (`<id>`, `<id>#1` .. `<id>#n-1`) that share the prompt's pages (copy-on-write).
 */
import type { KVRequest, PageOwner } from '../kv/index';
import type { ScheduledRequest } from './output';

export interface SamplingParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Seed of the counter-based sampler; children of an n > 1 request use seed + sample index. */
  seed?: number;
  /** Sampling one of these ends the request with reason `stop`. */
  stopTokenIds?: readonly number[];
}

export interface RequestSlo {
  ttftMs?: number;
  tpotMs?: number;
}

/** What a client submits. */
export interface RequestSpec {
  requestId: string;
  tenant: string;
  /** Session (loaded model) id. */
  model: string;
  promptTokenIds: readonly number[];
  /** Most new tokens to generate. */
  maxTokens: number;
  sampling?: SamplingParams;
  /** Defaults to the scheduler clock at submission. */
  arrivalTime?: number;
  /** Lower value is served first by the `priority` queue policy. Default 0. */
  priority?: number;
  slo?: RequestSlo;
  /** Parallel samples (shared prompt pages, copy-on-write). Default 1. */
  n?: number;
  /** Members of a tagged gang are admitted all together or not at all. */
  gang?: { id: string; size: number };
}

export type RequestState = 'waiting' | 'running' | 'preempted' | 'finished';
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'rejected';

export class Request implements KVRequest {
  readonly requestId: string;
  readonly tenant: string;
  readonly model: string;
  readonly owner: PageOwner;
  readonly numPromptTokens: number;
  /** Prompt followed by outputs; the allocator hashes it and the engine embeds from it. */
  readonly allTokenIds: number[];
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  readonly arrivalTime: number;
  readonly priority: number;
  readonly slo: RequestSlo | null;
  readonly n: number;
  readonly gang: { id: string; size: number } | null;
  /** Parent request id for forked samples. */
  readonly parentId: string | null;
  readonly sampleIndex: number;
  cacheSalt: string | null = null;
  region = 0;

  state: RequestState = 'waiting';
  finishReason: FinishReason | null = null;
  /** Why a request was rejected or cancelled. */
  finishDetail: string | null = null;
  /** Tokens whose KV is in the cache (advanced when a step is scheduled). */
  numComputedTokens = 0;
  /**
   * Tokens sampled by scheduled steps not yet `update`d: with pipelined steps the engine schedules step
   * N+1 before step N's tokens are read back, and N+1 embeds this request's pending token on the GPU.
   * The request's length for scheduling is numTokens + numPlaceholders. At most 1 between steps.
   */
  numPlaceholders = 0;
  /** Bumped at every preemption: `update` ignores rows scheduled in an earlier epoch (stale in-flight steps). */
  epoch = 0;
  /** Tokens served by the prefix cache at the latest admission; summed in numPrefixHitTokens. */
  numPrefixHitTokens = 0;
  numPreemptions = 0;
  numSwapPreemptions = 0;
  /** True once an n > 1 request has forked its samples. */
  forked = false;
  /** True once a tagged gang member was admitted (later re-admissions are individual). */
  gangAdmitted = false;

  // Scheduling bookkeeping (owned by the scheduler).
  /** Waiting-queue position key: smaller is earlier (preempted requests get negative keys: the front). */
  queueSeq = 0;
  /** Increments per admission; the `last-admitted` victim policy picks the largest. */
  admitSeq = 0;
  /** A requeued gang member is not considered before this step. */
  notBeforeStep = 0;
  /** Index of the tenant in the scheduler's tenant list (-1 for a rejected request of an unknown tenant). */
  tenantIndex = -1;
  /**
   * Per-step marks, stamped with the step number instead of kept in per-step Sets and Maps (no allocation
   * per step): the request was scheduled or admitted in step `touchedStep`, admitted in `admittedStep`, and
   * `row` is its row in step `rowStep`. Step numbers start at 1, so 0 means never.
   */
  touchedStep = 0;
  admittedStep = 0;
  rowStep = 0;
  row: ScheduledRequest | null = null;

  // Timestamps (scheduler clock, ms).
  firstScheduledTime: number | null = null;
  firstTokenTime: number | null = null;
  readonly tokenTimes: number[] = [];
  finishTime: number | null = null;

  constructor(spec: RequestSpec, arrivalTime: number, parent?: { id: string; index: number }) {
    this.requestId = spec.requestId;
    this.tenant = spec.tenant;
    this.model = spec.model;
    this.owner = { tenant: spec.tenant, model: spec.model, request: spec.requestId };
    this.numPromptTokens = spec.promptTokenIds.length;
    this.allTokenIds = spec.promptTokenIds.slice();
    this.maxTokens = spec.maxTokens;
    this.sampling = spec.sampling ?? {};
    this.arrivalTime = arrivalTime;
    this.priority = spec.priority ?? 0;
    this.slo = spec.slo ?? null;
    this.n = spec.n ?? 1;
    this.gang = spec.gang ?? null;
    this.parentId = parent?.id ?? null;
    this.sampleIndex = parent?.index ?? 0;
  }

  get numTokens(): number {
    return this.allTokenIds.length;
  }

  get numOutputTokens(): number {
    return this.allTokenIds.length - this.numPromptTokens;
  }

  get outputTokenIds(): number[] {
    return this.allTokenIds.slice(this.numPromptTokens);
  }

  get isFinished(): boolean {
    return this.state === 'finished';
  }

  /** True while the request still has to fork into n samples at its first sample. */
  get pendingForks(): number {
    return this.n > 1 && !this.forked ? this.n - 1 : 0;
  }
}
