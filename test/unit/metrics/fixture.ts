import type { RequestTimeline, StepSample } from '../../../src/metrics/index';

/**
 * A small run, ms. Hand-computed values are in the tests.
 *   A (tenant a): arrives 0, scheduled 10, tokens 50 70 100 130, finish 130 (length); SLO ttft 60, tpot 30
 *   B (tenant a): arrives 20, scheduled 40, preempted, re-scheduled 150, tokens 90 200, finish 210 (stop); SLO ttft 60
 *   C (tenant b): arrives 30, scheduled 60, token 80, finish 80 (length); no SLO
 *   D (tenant b): arrives 100, cancelled at 120 before being scheduled
 */
export function timelines(): RequestTimeline[] {
  return [
    { id: 'A', tenant: 'a', model: 'm', arrival: 0, scheduled: [10], firstToken: 50, tokenTimes: [50, 70, 100, 130], finish: 130, finishReason: 'length', numPromptTokens: 20, numCachedPromptTokens: 8, numPreemptions: 0, slo: { ttftMs: 60, tpotMs: 30 } },
    { id: 'B', tenant: 'a', model: 'm', arrival: 20, scheduled: [40, 150], firstToken: 90, tokenTimes: [90, 200], finish: 210, finishReason: 'stop', numPromptTokens: 10, numCachedPromptTokens: 0, numPreemptions: 1, slo: { ttftMs: 60 } },
    { id: 'C', tenant: 'b', model: 'm', arrival: 30, scheduled: [60], firstToken: 80, tokenTimes: [80], finish: 80, finishReason: 'length', numPromptTokens: 30, numCachedPromptTokens: 16, numPreemptions: 0 },
    { id: 'D', tenant: 'b', model: 'm', arrival: 100, scheduled: [], firstToken: null, tokenTimes: [], finish: 120, finishReason: 'cancelled', numPromptTokens: 5, numCachedPromptTokens: 0, numPreemptions: 0 },
  ];
}

/**
 *   S0: 10..60,   gpu 40, kernels matmul 25, attention 10;           KV total 100, alloc a 32 b 16, used a 28 b 10
 *   S1: 60..110,  gpu 30, kernels matmul 15, attention 10, matmul 3; KV alloc a 48 b 16, used a 40 b 15
 *   S2: 110..220, gpu 20, no kernel list;                             KV alloc a 16, used a 9
 */
export function steps(): StepSample[] {
  return [
    { index: 0, startMs: 10, endMs: 60, gpuMs: 40, kernels: [{ label: 'matmul', ms: 25 }, { label: 'attention', ms: 10 }], numPrefillTokens: 60, numDecodeTokens: 0, numRunning: 2, numWaiting: 1, kvTotalSlots: 100, kvAllocatedSlots: { a: 32, b: 16 }, kvUsedSlots: { a: 28, b: 10 } },
    { index: 1, startMs: 60, endMs: 110, gpuMs: 30, kernels: [{ label: 'matmul', ms: 15 }, { label: 'attention', ms: 10 }, { label: 'matmul', ms: 3 }], numPrefillTokens: 30, numDecodeTokens: 2, numRunning: 3, numWaiting: 0, kvTotalSlots: 100, kvAllocatedSlots: { a: 48, b: 16 }, kvUsedSlots: { a: 40, b: 15 } },
    { index: 2, startMs: 110, endMs: 220, gpuMs: 20, kernels: [], numPrefillTokens: 0, numDecodeTokens: 2, numRunning: 1, numWaiting: 0, kvTotalSlots: 100, kvAllocatedSlots: { a: 16 }, kvUsedSlots: { a: 9 } },
  ];
}
