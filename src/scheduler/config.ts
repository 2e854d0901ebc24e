/** Scheduler, session (loaded model) and tenant configuration, with validation. */
import { ConfigError, requireNonNegativeInt, requirePositiveInt, tokensPerPage as deriveTokensPerPage, type KVLayout } from '../kv/index';
import type { QueuePolicyName } from './queue_policy';
import type { VictimPolicyName } from './victim_policy';
import type { SharingPolicyName } from './sharing_policy';
import type { MetricsHooks } from './metrics';

export interface SessionConfig {
  /** Model id; requests name it in `model`. */
  id: string;
  /** KV layout, from which tokensPerPage = floor(pageBytes / bytesPerToken). */
  layout: KVLayout;
  maxModelLen: number;
  /** Step weight under `time-slice` with mode `weighted`. Default 1. */
  weight?: number;
}

export interface TenantConfig {
  id: string;
  /** Fair-share weight and dominant-share divisor. Default 1. */
  weight?: number;
  /** Tenant priority for the `priority` sharing policy: lower value wins. Default 0. */
  priority?: number;
  /** Fair-share nominal quota in pages. Default: the usable pages split evenly. */
  quotaPages?: number;
  /** Fair-share: pages beyond the quota the tenant may borrow while others are idle. Default: unlimited. */
  borrowLimitPages?: number;
  /** Partition: size of the tenant's page range. Default: the usable pages split evenly. */
  partitionPages?: number;
  /** Partition: relative share of steps. Default 1. */
  stepShare?: number;
  /** Isolate this tenant's prefix cache (a per-tenant hash salt). Default false (the partition policy forces it). */
  isolateCache?: boolean;
}

export interface SchedulerConfig {
  sessions: SessionConfig[];
  tenants: TenantConfig[];
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  /** A prefill chunk is at most this many tokens; 0 = no limit. */
  longPrefillTokenThreshold?: number;
  enableChunkedPrefill?: boolean;
  enablePrefixCaching?: boolean;
  preemptionMode?: 'recompute' | 'swap';
  /** Host slots (one page each) for swap preemption. Default 0 (swap falls back to recompute). */
  numHostSwapPages?: number;
  allocator?: 'paged' | 'contiguous';
  queuePolicy?: QueuePolicyName;
  victimPolicy?: VictimPolicyName;
  sharingPolicy?: SharingPolicyName;
  timeSliceMode?: 'round-robin' | 'weighted';
  /** Steps a blocked gang waits at the head of the queue before it is requeued. Default 8. */
  gangTimeoutSteps?: number;
  /** Steps a requeued gang sits out. Default 4. */
  gangBackoffSteps?: number;
  /**
   * k: a tagged gang still missing members `gangTimeoutSteps * k` steps after its first member arrived is
   * rejected (its arrived members finish `rejected` with the reason) instead of waiting forever. Default 4.
   */
  gangArrivalTimeoutFactor?: number;
  /**
   * `continuous` (default): requests join and leave the running batch at every step (Orca, vLLM).
   * `static`: as before Orca, a batch is admitted only when none of the session's requests is running: as
   * many waiting requests as max_num_seqs and the pages for their prompts allow (the budget chunks their
   * prefill over the next steps), and nothing more is admitted until every request of that batch has left
   * the running set (finished, or preempted: a preempted member rejoins with a later batch). Finished
   * requests free their pages at once; only admission waits.
   */
  batching?: 'continuous' | 'static';
  /** Fair-share: EMA factor of the per-tenant step share. Default 0.1. */
  fairShareDecay?: number;
  /** Time source in ms. Default performance.now. */
  clock?: () => number;
  hooks?: MetricsHooks;
}

export type ResolvedSchedulerConfig = Required<Omit<SchedulerConfig, 'hooks' | 'sessions' | 'tenants'>> & {
  sessions: Array<Required<SessionConfig> & { tokensPerPage: number }>;
  tenants: Array<Required<Omit<TenantConfig, 'quotaPages' | 'partitionPages'>> & { quotaPages: number; partitionPages: number }>;
  hooks: MetricsHooks;
};

/** Fills defaults and throws ConfigError for anything that can never work. */
export function resolveConfig(config: SchedulerConfig, pageBytes: number, numUsablePages: number): ResolvedSchedulerConfig {
  requirePositiveInt('maxNumBatchedTokens', config.maxNumBatchedTokens);
  requirePositiveInt('maxNumSeqs', config.maxNumSeqs);
  const longPrefill = config.longPrefillTokenThreshold ?? 0;
  requireNonNegativeInt('longPrefillTokenThreshold', longPrefill);
  const numHost = config.numHostSwapPages ?? 0;
  requireNonNegativeInt('numHostSwapPages', numHost);
  const gangTimeout = config.gangTimeoutSteps ?? 8;
  requirePositiveInt('gangTimeoutSteps', gangTimeout);
  const gangBackoff = config.gangBackoffSteps ?? 4;
  requireNonNegativeInt('gangBackoffSteps', gangBackoff);
  const gangArrival = config.gangArrivalTimeoutFactor ?? 4;
  requirePositiveInt('gangArrivalTimeoutFactor', gangArrival);
  const batching = config.batching ?? 'continuous';
  if (batching !== 'continuous' && batching !== 'static') throw new ConfigError(`batching must be "continuous" or "static", got "${String(batching)}".`);
  const decay = config.fairShareDecay ?? 0.1;
  if (!(decay > 0 && decay <= 1)) throw new ConfigError(`fairShareDecay must be in (0, 1], got ${decay}.`);
  const chunked = config.enableChunkedPrefill ?? true;
  if (config.sessions.length === 0) throw new ConfigError('At least one session (loaded model) is needed.');
  if (config.tenants.length === 0) throw new ConfigError('At least one tenant is needed.');
  const seen = new Set<string>();
  const sessions = config.sessions.map((s) => {
    if (!s.id) throw new ConfigError('A session needs a non-empty id.');
    if (seen.has(s.id)) throw new ConfigError(`Duplicate session id "${s.id}".`);
    seen.add(s.id);
    requirePositiveInt(`session "${s.id}" maxModelLen`, s.maxModelLen);
    const weight = s.weight ?? 1;
    if (!(weight > 0)) throw new ConfigError(`session "${s.id}" weight must be > 0, got ${weight}.`);
    if (!chunked && s.maxModelLen > config.maxNumBatchedTokens) {
      throw new ConfigError(
        `Chunked prefill is off, so maxNumBatchedTokens (${config.maxNumBatchedTokens}) must be >= max_model_len of "${s.id}" (${s.maxModelLen}).`,
      );
    }
    return { id: s.id, layout: s.layout, maxModelLen: s.maxModelLen, weight, tokensPerPage: deriveTokensPerPage(pageBytes, s.layout, s.id) };
  });
  const n = config.tenants.length;
  const evenShare = Math.floor(numUsablePages / n);
  const tseen = new Set<string>();
  const tenants = config.tenants.map((t) => {
    if (!t.id) throw new ConfigError('A tenant needs a non-empty id.');
    if (tseen.has(t.id)) throw new ConfigError(`Duplicate tenant id "${t.id}".`);
    tseen.add(t.id);
    const weight = t.weight ?? 1;
    if (!(weight > 0)) throw new ConfigError(`tenant "${t.id}" weight must be > 0, got ${weight}.`);
    const stepShare = t.stepShare ?? 1;
    if (!(stepShare > 0)) throw new ConfigError(`tenant "${t.id}" stepShare must be > 0, got ${stepShare}.`);
    const quotaPages = t.quotaPages ?? evenShare;
    requireNonNegativeInt(`tenant "${t.id}" quotaPages`, quotaPages);
    const borrow = t.borrowLimitPages ?? numUsablePages;
    requireNonNegativeInt(`tenant "${t.id}" borrowLimitPages`, borrow);
    const partitionPages = t.partitionPages ?? evenShare;
    requireNonNegativeInt(`tenant "${t.id}" partitionPages`, partitionPages);
    return {
      id: t.id,
      weight,
      priority: t.priority ?? 0,
      quotaPages,
      borrowLimitPages: borrow,
      partitionPages,
      stepShare,
      isolateCache: t.isolateCache ?? false,
    };
  });
  const sharing = config.sharingPolicy ?? 'time-slice';
  if (sharing === 'fair-share') {
    const sum = tenants.reduce((a, t) => a + t.quotaPages, 0);
    if (sum > numUsablePages) throw new ConfigError(`Fair-share quotas sum to ${sum} pages; the pool has ${numUsablePages} usable pages.`, 'pool-too-small');
  }
  if (sharing === 'partition') {
    const sum = tenants.reduce((a, t) => a + t.partitionPages, 0);
    if (sum > numUsablePages) throw new ConfigError(`Partitions sum to ${sum} pages; the pool has ${numUsablePages} usable pages.`, 'pool-too-small');
    for (const t of tenants) requirePositiveInt(`tenant "${t.id}" partitionPages`, t.partitionPages);
  }
  return {
    sessions,
    tenants,
    maxNumBatchedTokens: config.maxNumBatchedTokens,
    maxNumSeqs: config.maxNumSeqs,
    longPrefillTokenThreshold: longPrefill,
    enableChunkedPrefill: chunked,
    enablePrefixCaching: config.enablePrefixCaching ?? true,
    preemptionMode: config.preemptionMode ?? 'recompute',
    numHostSwapPages: numHost,
    allocator: config.allocator ?? 'paged',
    queuePolicy: config.queuePolicy ?? 'fcfs',
    victimPolicy: config.victimPolicy ?? 'last-admitted',
    sharingPolicy: sharing,
    timeSliceMode: config.timeSliceMode ?? 'round-robin',
    gangTimeoutSteps: gangTimeout,
    gangBackoffSteps: gangBackoff,
    gangArrivalTimeoutFactor: gangArrival,
    batching,
    fairShareDecay: decay,
    clock: config.clock ?? (() => performance.now()),
    hooks: config.hooks ?? {},
  };
}
