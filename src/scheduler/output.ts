/**
 * What one step decided (`SchedulerOutput`), and why (`StepRecord`), as typed objects for the engine and
 * the views.
 *
 * The engine executes a step in this order: (1) `swapOut` page -> host copies, (2) `pagesToCopy` (fork and
 * copy-on-write copies), (3) `swapIn` host -> page copies, (4) the forward pass over `scheduled`. A page freed
 * by a preemption in this step may be the destination of a later copy or a KV write, never the reverse.
 */
import type { PageCopy, PoolUsage, SwapPair } from '../kv/index';
import type { SamplingParams } from './request';

export interface ScheduledRequest {
  requestId: string;
  tenant: string;
  /** Tokens computed this step: positions `positionStart .. positionStart + numTokens - 1`. */
  numTokens: number;
  positionStart: number;
  /** True while positions are in the prompt (or re-prefill after recompute preemption). */
  isPrefill: boolean;
  /** Prompt + output token ids (a live reference); the step embeds `allTokenIds[positionStart ..]`. */
  allTokenIds: readonly number[];
  /** The block table (logical page -> page id), a live reference valid until the next `update`. */
  blockTable: readonly number[];
  /** Pages appended to the block table this step. */
  newPageIds: readonly number[];
  /** Tokens to sample from this row's last position: 0 (a prefill chunk), 1, or n at an n > 1 fork point. */
  numSamples: number;
  sampling: SamplingParams;
  /** The request's preemption epoch when scheduled (`update` ignores a row whose request was preempted since). */
  epoch: number;
}

/** Why admission stopped (or a row was skipped). `static-batch`: static batching waits for the running batch to finish. */
export type BlockReason =
  | 'budget'
  | 'pages'
  | 'quota'
  | 'max-seqs'
  | 'gang-incomplete'
  | 'gang-pages'
  | 'gang-quota'
  | 'gang-max-seqs'
  | 'static-batch';
/** Why a request was preempted. `device-lost`: the GPU was lost and its KV cache with it (`Scheduler.preemptAll`). */
export type PreemptReason = 'pages' | 'quota' | 'reclaim' | 'priority' | 'device-lost';

export type Decision =
  | { kind: 'admitted'; requestId: string; tenant: string; numTokens: number; numPrefixHitTokens: number; swappedIn: boolean }
  | { kind: 'blocked'; requestId: string; tenant: string; reason: BlockReason; detail: string }
  | {
      kind: 'preempted';
      requestId: string;
      tenant: string;
      session: string;
      mode: 'recompute' | 'swap';
      reason: PreemptReason;
      /** The request whose allocation forced it; null when no allocation did (`device-lost`). */
      forRequestId: string | null;
      numPagesFreed: number;
      /** Swap was asked but the host swap space was full. */
      swapFellBack: boolean;
      /** Free text for the views (the cause given to `preemptAll`). */
      detail?: string;
    }
  | { kind: 'reclaimed'; fromTenant: string; forTenant: string; numPages: number }
  | { kind: 'borrowing'; tenant: string; numBorrowedPages: number; quotaPages: number }
  | { kind: 'gang-admitted'; gangId: string; requestIds: string[] }
  | { kind: 'gang-requeued'; gangId: string; requestIds: string[]; reason: BlockReason; numWaitedSteps: number; backoffUntilStep: number }
  | { kind: 'forked'; requestId: string; childIds: string[] }
  | { kind: 'rejected'; requestId: string; tenant: string; reason: string }
  | { kind: 'finished'; requestId: string; tenant: string; reason: string };

export interface StepRecord {
  step: number;
  time: number;
  /** Session the step runs, or null for an idle step. */
  sessionId: string | null;
  /** Tenants whose requests may run this step; null = all. */
  tenantFilter: readonly string[] | null;
  /** Why the sharing policy gave this session the step (or why it is idle). */
  grantReason: string;
  numScheduledTokens: number;
  numPrefillTokens: number;
  numDecodeTokens: number;
  numBudgetLeft: number;
  numRunning: number;
  numWaiting: number;
  decisions: Decision[];
  pool: PoolUsage;
  tenantPages: Record<string, number>;
}

export interface SchedulerOutput {
  step: number;
  sessionId: string | null;
  tokensPerPage: number;
  scheduled: ScheduledRequest[];
  numScheduledTokens: number;
  pagesToCopy: PageCopy[];
  swapOut: SwapPair[];
  swapIn: SwapPair[];
  /** Requests preempted this step (recompute or swap). */
  preempted: string[];
  /** Requests finished, cancelled or rejected since the previous output; the engine drops their state. */
  finishedIds: string[];
  record: StepRecord;
}

/**
 * Slot of every token of a row: `page * tokensPerPage + position % tokensPerPage` where
 * `page = blockTable[floor(position / tokensPerPage)]`. Written into `out` from `offset`; returns the next offset.
 */
export function slotMapping(row: ScheduledRequest, tokensPerPage: number, out: Int32Array | number[], offset = 0): number {
  for (let i = 0; i < row.numTokens; i++) {
    const pos = row.positionStart + i;
    const page = row.blockTable[Math.floor(pos / tokensPerPage)];
    if (page === undefined) throw new Error(`slotMapping: ${row.requestId} position ${pos} has no page.`);
    out[offset + i] = page * tokensPerPage + (pos % tokensPerPage);
  }
  return offset + row.numTokens;
}
