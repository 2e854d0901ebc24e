/** Random seeded workloads for the property tests. */
import type { RequestSpec, SchedulerConfig } from '../../../src/scheduler/index';
import { TINY_LAYOUT, mulberry32 } from './helpers';

export interface Workload {
  config: Omit<SchedulerConfig, 'clock'>;
  numPages: number;
  tokensPerPage: number;
  /** Requests by arrival step. */
  arrivals: Array<{ step: number; spec: RequestSpec }>;
  aborts: Array<{ step: number; id: string }>;
  /** Steps before whose schedule the device is lost (`preemptAll`). */
  deviceLosses: number[];
  /** A session unloaded (`removeSession`) before that step's schedule. */
  removal: { step: number; sessionId: string } | null;
  /** The last step with an arrival, abort, device loss or removal: the run may stop once past it and idle. */
  lastEventStep: number;
}

export function makeWorkload(seed: number, sharing: SchedulerConfig['sharingPolicy'], queue: SchedulerConfig['queuePolicy'], victim: SchedulerConfig['victimPolicy']): Workload {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const tokensPerPage = [2, 4, 8][int(0, 2)]!;
  const maxModelLen = tokensPerPage * int(4, 8);
  const numTenants = int(1, 3);
  const numSessions = int(1, 2);
  const pagesPerReq = Math.ceil(maxModelLen / tokensPerPage);
  const contiguous = rnd() < 0.15;
  // Each tenant's region / quota must hold a max-length request (plus fork pages); otherwise it is rejected.
  const perTenant = pagesPerReq * (contiguous ? 2 : 1) + int(1, 6);
  const numPages = 1 + perTenant * numTenants + int(0, 4);
  const tenants = Array.from({ length: numTenants }, (_, i) => ({
    id: `T${i}`,
    weight: int(1, 3),
    priority: int(0, 2),
    quotaPages: perTenant,
    borrowLimitPages: int(0, perTenant),
    partitionPages: perTenant,
    stepShare: int(1, 3),
  }));
  const sessions = Array.from({ length: numSessions }, (_, i) => ({ id: `M${i}`, layout: { ...TINY_LAYOUT }, maxModelLen, weight: int(1, 2) }));
  const chunked = rnd() < 0.8;
  const config: Workload['config'] = {
    sessions,
    tenants,
    maxNumBatchedTokens: chunked ? int(4, 48) : maxModelLen + int(0, 16),
    maxNumSeqs: int(2, 8),
    longPrefillTokenThreshold: rnd() < 0.3 ? int(2, 16) : 0,
    enableChunkedPrefill: chunked,
    enablePrefixCaching: rnd() < 0.8,
    preemptionMode: rnd() < 0.5 ? 'swap' : 'recompute',
    numHostSwapPages: int(0, 12),
    allocator: contiguous ? 'contiguous' : 'paged',
    queuePolicy: queue,
    victimPolicy: victim,
    sharingPolicy: sharing,
    timeSliceMode: rnd() < 0.5 ? 'weighted' : 'round-robin',
    gangTimeoutSteps: int(1, 6),
    gangBackoffSteps: int(0, 4),
    gangArrivalTimeoutFactor: int(1, 4),
    batching: rnd() < 0.2 ? 'static' : 'continuous',
  };
  // Prompts share prefixes drawn from a few stems so the prefix cache gets hits.
  const stems = Array.from({ length: 3 }, () => Array.from({ length: maxModelLen }, () => int(1, 50)));
  const arrivals: Workload['arrivals'] = [];
  const aborts: Workload['aborts'] = [];
  const numRequests = int(2, 10);
  let gangNo = 0;
  for (let i = 0; i < numRequests; i++) {
    const stem = stems[int(0, 2)]!;
    const shared = int(0, maxModelLen - 2);
    const len = int(1, maxModelLen - 1);
    const promptTokenIds = Array.from({ length: len }, (_, k) => (k < shared ? stem[k]! : int(1, 50)));
    const spec: RequestSpec = {
      requestId: `r${i}`,
      tenant: rnd() < 0.05 ? 'ghost' : tenants[int(0, numTenants - 1)]!.id,
      model: rnd() < 0.03 ? 'nope' : sessions[int(0, numSessions - 1)]!.id,
      promptTokenIds,
      maxTokens: int(1, 12),
      priority: int(0, 3),
      sampling: rnd() < 0.3 ? { stopTokenIds: [int(1, 50)] } : {},
      n: rnd() < 0.15 ? int(2, 3) : 1,
    };
    // Arrivals within 10 steps (and aborts within 20): enough overlap for every interaction, few idle steps.
    const step = int(0, 10);
    arrivals.push({ step, spec });
    if (rnd() < 0.1 && spec.n === 1) {
      // A gang of 2 with the next request id; in one of four the second member never comes (arrival timeout).
      const id = `g${gangNo++}`;
      spec.gang = { id, size: 2 };
      const second = { step: step + int(0, 3), spec: { ...spec, requestId: `r${i}b`, promptTokenIds: promptTokenIds.slice(0, Math.max(1, len - 1)), gang: { id, size: 2 } } };
      if (rnd() < 0.75) arrivals.push(second);
    }
    if (rnd() < 0.08) aborts.push({ step: int(0, 20), id: spec.requestId });
  }
  const deviceLosses = rnd() < 0.1 ? [int(1, 15)] : [];
  const removal = numSessions === 2 && rnd() < 0.1 ? { step: int(1, 15), sessionId: 'M1' } : null;
  const lastEventStep = Math.max(0, ...arrivals.map((a) => a.step), ...aborts.map((a) => a.step), ...deviceLosses, removal?.step ?? 0);
  return { config, numPages, tokensPerPage, arrivals, aborts, deviceLosses, removal, lastEventStep };
}

