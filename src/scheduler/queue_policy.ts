/**
 * Waiting-queue order. A policy sorts a session's waiting list in place before admission; the scheduler
 * then admits from the front and stops at the first request that does not fit.
 *
 * Edge behaviour:
 * - `fcfs`: by queue key. New requests go to the back; recompute/swap-preempted requests go to the FRONT
 *   (as vLLM); a timed-out gang goes to the back. Never starves anyone but a head-of-line request blocks all.
 * - `priority`: by (priority, arrival time, queue key); lower priority value first. A preempted request
 *   returns to its priority position, not the front. Low-priority requests can starve under a steady stream
 *   of higher-priority ones (no aging).
 * - `longest-prefix`: by (cached prefix tokens, descending; then arrival, queue key). Cache-aware: requests
 *   whose prefix is in the cache go first so their pages are reused before eviction. Requests with no hits
 *   can starve while hit-heavy ones keep arriving (no aging). Costs a cache lookup per waiting request per step.
 */
import type { Request } from './request';

export type QueuePolicyName = 'fcfs' | 'priority' | 'longest-prefix';

export interface QueueContext {
  /** Tokens the request would get from the prefix cache if admitted now. */
  numCachedPrefixTokens(req: Request): number;
}

export interface QueuePolicy {
  readonly name: QueuePolicyName;
  order(waiting: Request[], ctx: QueueContext): void;
}

const fcfs: QueuePolicy = {
  name: 'fcfs',
  order(waiting) {
    waiting.sort((a, b) => a.queueSeq - b.queueSeq);
  },
};

const priority: QueuePolicy = {
  name: 'priority',
  order(waiting) {
    waiting.sort((a, b) => a.priority - b.priority || a.arrivalTime - b.arrivalTime || a.queueSeq - b.queueSeq);
  },
};

const longestPrefix: QueuePolicy = {
  name: 'longest-prefix',
  order(waiting, ctx) {
    const hits = new Map<Request, number>();
    for (const r of waiting) hits.set(r, ctx.numCachedPrefixTokens(r));
    waiting.sort((a, b) => hits.get(b)! - hits.get(a)! || a.arrivalTime - b.arrivalTime || a.queueSeq - b.queueSeq);
  },
};

const QUEUE_POLICIES: Record<QueuePolicyName, QueuePolicy> = { fcfs, priority, 'longest-prefix': longestPrefix };
export const QUEUE_POLICY_NAMES = Object.keys(QUEUE_POLICIES) as QueuePolicyName[];

export function createQueuePolicy(name: QueuePolicyName): QueuePolicy {
  const p = QUEUE_POLICIES[name];
  if (!p) throw new Error(`Unknown queue policy "${String(name)}"; known: ${QUEUE_POLICY_NAMES.join(', ')}.`);
  return p;
}
