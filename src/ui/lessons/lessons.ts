/**
 * Lessons: guided scenarios, each a preset (changes to the default configuration), a short
 * explanation, what to watch, and the live numbers that make the point. A lesson with variants lets
 * the reader run the same workload under each setting and compare the numbers.
 *
 * Every lesson runs on the simulated backend (Llama-3-8B on a simulated H100, labelled simulated), so
 * its numbers settle within seconds on any machine; `lessonConfig` starts from SIMULATED_DEFAULT.
 */
import type { RunReport } from '../../metrics';
import { SIMULATED_DEFAULT, type PlaygroundConfig } from '../state/config';
import type { TelemetryStore } from '../state/telemetry-store';
import type { PoolSummary } from '../pool-layout';

export interface LessonContext {
  store: TelemetryStore;
  report: RunReport | null;
  pool: PoolSummary | null;
}

export interface LiveNumber {
  label: string;
  value: string;
}

export interface LessonVariant {
  label: string;
  /** Applied on top of the lesson's preset. */
  change: (c: PlaygroundConfig) => void;
}

export interface Lesson {
  id: string;
  title: string;
  /** What the scenario shows, in two or three sentences. */
  explain: string;
  watch: string;
  preset: (c: PlaygroundConfig) => void;
  variants: LessonVariant[];
  numbers: (ctx: LessonContext) => LiveNumber[];
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const perS = (n: number, runMs: number) => (runMs > 0 ? `${n.toLocaleString('en-US')} (${((1000 * n) / runMs).toFixed(2)}/s)` : String(n));
const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(1)}%`);

/** Unfilled slots in allocated pages, as a share of the allocated slots (the pool view's count). */
const waste = (p: PoolSummary | null) => (p && p.usedSlots + p.emptySlots > 0 ? p.emptySlots / (p.usedSlots + p.emptySlots) : null);

export const LESSONS: Lesson[] = [
  {
    id: 'paged-vs-contiguous',
    title: 'Contiguous vs paged KV memory',
    explain:
      'A contiguous allocator reserves max model length worth of KV for every request up front; a paged one hands out 16-token pages as tokens arrive. Same pool, same requests: count how many run at once and how much reserved memory holds nothing.',
    watch: 'The pool view (pale tops are reserved, empty slots), "running" and the waste number.',
    preset: (c) => {
      c.numPages = 1024;
      c.maxModelLen = 2048;
      c.workload = { ...c.workload, numRequests: 300, rate: 12, sharedPrefixRatio: 0, parallelRatio: 0 };
      c.workload.prompt = { kind: 'sharegpt', min: 4, max: 1024 };
      c.workload.output = { kind: 'sharegpt', min: 4, max: 512 };
    },
    variants: [
      { label: 'paged', change: (c) => (c.allocator = 'paged') },
      { label: 'contiguous', change: (c) => (c.allocator = 'contiguous') },
    ],
    numbers: ({ store, pool }) => [
      { label: 'running now', value: String(store.last?.numRunning ?? 0) },
      { label: 'waiting now', value: String(store.last?.numWaiting ?? 0) },
      { label: 'reserved but empty KV slots', value: pct(waste(pool)) },
    ],
  },
  {
    id: 'static-batching',
    title: 'Static vs continuous batching',
    explain:
      'Static batching (as before Orca) starts a batch and admits nothing new until its last request finishes: one long answer keeps the GPU running a shrinking batch while the queue grows. Continuous batching lets requests join and leave at every step. Same seeded workload, same pool.',
    watch: '"running" in the requests chart (static: a saw-tooth that drains to a few sequences), output tokens/s and TTFT p50; run both and compare them side by side below.',
    preset: (c) => {
      c.numPages = 2048;
      c.maxNumSeqs = 32;
      c.maxModelLen = 2048;
      c.workload = { ...c.workload, numRequests: 400, rate: 14, sharedPrefixRatio: 0, parallelRatio: 0 };
      c.workload.prompt = { kind: 'uniform', min: 64, max: 512 };
      c.workload.output = { kind: 'sharegpt', min: 8, max: 512 };
    },
    variants: [
      { label: 'continuous', change: (c) => (c.batching = 'continuous') },
      { label: 'static', change: (c) => (c.batching = 'static') },
    ],
    numbers: ({ store, report }) => [
      { label: 'output tokens / s', value: report ? report.overall.outputTokenThroughput.toFixed(0) : '—' },
      { label: 'TTFT p50 (waiting counted)', value: ms(liveTtftP50(store)) },
      { label: 'running / waiting now', value: `${store.last?.numRunning ?? 0} / ${store.last?.numWaiting ?? 0}` },
      { label: 'steps admission waited for the batch', value: store.totals.staticWaitSteps.toLocaleString('en-US') },
    ],
  },
  {
    id: 'chunked-prefill',
    title: 'Chunked prefill and inter-token latency',
    explain:
      'Without chunking, a long prompt is prefilled in one step and every running decode waits for it: inter-token latency spikes. With chunked prefill the prompt is split over steps within a token budget, so decodes keep flowing.',
    watch: '"Tokens per step" (prefill spikes) and ITL p99 in the latency table.',
    preset: (c) => {
      c.maxModelLen = 4096;
      c.workload = { ...c.workload, numRequests: 200, rate: 6, sharedPrefixRatio: 0, parallelRatio: 0 };
      c.workload.prompt = { kind: 'uniform', min: 500, max: 3000 };
      c.workload.output = { kind: 'uniform', min: 64, max: 256 };
    },
    variants: [
      {
        label: 'chunked (512-token budget)',
        change: (c) => {
          c.enableChunkedPrefill = true;
          c.maxNumBatchedTokens = 512;
        },
      },
      {
        label: 'no chunking',
        change: (c) => {
          c.enableChunkedPrefill = false;
          c.maxNumBatchedTokens = 4096;
        },
      },
    ],
    numbers: ({ report }) => [
      { label: 'ITL p50', value: ms(report?.overall.itlMs.p50) },
      { label: 'ITL p99', value: ms(report?.overall.itlMs.p99) },
      { label: 'TTFT p50', value: ms(report?.overall.ttftMs.p50) },
    ],
  },
  {
    id: 'prefix-caching',
    title: 'Prefix caching with a shared system prompt',
    explain:
      'Most requests start with the same 1,024-token system prompt. With prefix caching its KV pages are computed once and shared (ref count > 1); later requests skip that prefill, so their first token comes sooner.',
    watch: 'Shared pages (corner mark) and cached-free pages (hatched) in the pool; hit rate and TTFT.',
    preset: (c) => {
      c.workload = { ...c.workload, numRequests: 200, rate: 8, sharedPrefixRatio: 0.9, sharedPrefixLength: 1024, parallelRatio: 0 };
      c.workload.prompt = { kind: 'uniform', min: 16, max: 256 };
    },
    variants: [
      { label: 'prefix caching on', change: (c) => (c.enablePrefixCaching = true) },
      { label: 'off', change: (c) => (c.enablePrefixCaching = false) },
    ],
    numbers: ({ report }) => [
      { label: 'prefix-cache hit rate', value: pct(report?.overall.prefixCache.hitRate) },
      { label: 'TTFT p50', value: ms(report?.overall.ttftMs.p50) },
      { label: 'TTFT p99', value: ms(report?.overall.ttftMs.p99) },
    ],
  },
  {
    id: 'preemption',
    title: 'Preemption under memory pressure: recompute vs swap',
    explain:
      'A small pool and a busy workload: when decodes need pages that are not there, the scheduler preempts a running request. Recompute drops its KV and prefills it again later; swap copies its pages to host memory and back.',
    watch: 'Preemptions in the key numbers, "preempted" in the requests chart, E2E p99.',
    preset: (c) => {
      c.numPages = 384;
      c.maxModelLen = 2048;
      c.workload = { ...c.workload, numRequests: 200, rate: 12, sharedPrefixRatio: 0, parallelRatio: 0 };
      c.workload.output = { kind: 'uniform', min: 200, max: 600 };
    },
    variants: [
      { label: 'recompute', change: (c) => (c.preemptionMode = 'recompute') },
      {
        label: 'swap',
        change: (c) => {
          c.preemptionMode = 'swap';
          c.numHostSwapPages = 1024;
        },
      },
    ],
    numbers: ({ store, report }) => [
      { label: 'preemptions', value: String(store.totals.preemptions) },
      { label: 'E2E p99', value: ms(report?.overall.e2eMs.p99) },
      { label: 'output tokens / s', value: report ? report.overall.outputTokenThroughput.toFixed(0) : '—' },
    ],
  },
  {
    id: 'two-tenants',
    title: 'Two tenants on one GPU: partition, time-slice, fair share',
    explain:
      'An interactive tenant with a tight TTFT SLO shares the GPU with a batch tenant that sends long requests. A MIG-style partition gives each a fixed half of the pool; time-slicing shares everything; fair share lends idle pages and takes them back.',
    watch: 'Partition boundaries in the pool, KV usage per tenant, each tenant\u2019s TTFT p99 and goodput.',
    preset: (c) => {
      c.numPages = 768;
      c.tenants = [
        { id: 'chat', weight: 1, priority: 0, pages: 0, sloTtftMs: 200, sloTpotMs: 50, share: 3 },
        { id: 'batch', weight: 1, priority: 1, pages: 0, sloTtftMs: 0, sloTpotMs: 0, share: 1 },
      ];
      c.workload = { ...c.workload, numRequests: 300, rate: 10, sharedPrefixRatio: 0, parallelRatio: 0 };
    },
    variants: [
      { label: 'partition', change: (c) => (c.sharingPolicy = 'partition') },
      { label: 'time-slice', change: (c) => (c.sharingPolicy = 'time-slice') },
      { label: 'fair share', change: (c) => (c.sharingPolicy = 'fair-share') },
    ],
    numbers: ({ report }) => [
      { label: 'chat TTFT p99', value: ms(report?.tenants['chat']?.ttftMs.p99) },
      { label: 'batch TTFT p99', value: ms(report?.tenants['batch']?.ttftMs.p99) },
      { label: 'chat goodput', value: report?.tenants['chat'] ? `${report.tenants['chat'].goodput.requestsPerS.toFixed(2)} req/s` : '—' },
      { label: 'KV usage (mean)', value: pct(report?.overall.kv.usageMean) },
    ],
  },
  {
    id: 'gang-admission',
    title: 'Gang admission for parallel sampling',
    explain:
      'A request for n samples (best-of-n, beam-like search) is only useful when all n run: admitting some and leaving the rest waiting holds their pages while the answer cannot finish. The scheduler admits the n samples all-or-nothing, reserving pages for every member at once; a gang that does not fit waits at the head of the queue, then is requeued so others can go. One request of n shares its prompt pages after the fork; a gang of n tagged requests holds n copies; independent requests go in one by one.',
    watch: 'The pool: a gang\u2019s pages appear together (one request of n: its prompt pages are shared, corner mark). Groups admitted whole (tagged gangs, or n > 1 requests forking) per second; groups split now (some samples running while siblings wait: only independent requests); steps admission waited on a gang, and gang requeues.',
    preset: (c) => {
      c.numPages = 640;
      c.maxNumSeqs = 48;
      c.maxModelLen = 2048;
      c.workload = { ...c.workload, numRequests: 300, rate: 5, sharedPrefixRatio: 0, parallelRatio: 0.5, n: 8 };
      c.workload.prompt = { kind: 'uniform', min: 128, max: 512 };
      c.workload.output = { kind: 'uniform', min: 64, max: 384 };
    },
    variants: [
      { label: 'one request, n = 8', change: (c) => (c.workload.parallelMode = 'n') },
      { label: 'tagged gang of 8', change: (c) => (c.workload.parallelMode = 'gang') },
      { label: '8 independent requests', change: (c) => (c.workload.parallelMode = 'independent') },
    ],
    numbers: ({ store, report, pool }) => [
      { label: 'groups admitted whole', value: perS(store.totals.gangsAdmitted + store.totals.forks, store.runMs) },
      { label: 'groups split now', value: String(splitGroups(store)) },
      { label: 'steps waiting on a gang', value: store.totals.gangBlockedSteps.toLocaleString('en-US') },
      { label: 'gang requeues', value: store.totals.gangRequeues.toLocaleString('en-US') },
      { label: 'pages in use', value: pool ? pool.used.toLocaleString('en-US') : '—' },
      { label: 'E2E p99', value: ms(report?.overall.e2eMs.p99) },
    ],
  },
];

/**
 * TTFT p50 over every request that has arrived, a request still without its first token counted at its
 * wait so far (a lower bound of its TTFT): unlike the p50 of first tokens seen, it cannot look good while
 * requests queue (static batching holds most of them back). Samples of n > 1 requests are left out.
 */
export function liveTtftP50(store: TelemetryStore): number | null {
  const v: number[] = [];
  for (const r of store.requests.values()) {
    if (r.id.includes('#') || r.arrivalMs > store.nowMs) continue;
    v.push(r.firstTokenMs !== null ? r.firstTokenMs - r.arrivalMs : (r.finishMs ?? store.nowMs) - r.arrivalMs);
  }
  if (!v.length) return null;
  v.sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)]!;
}

/**
 * Sample groups submitted as separate requests (`id.k`) that are split right now: some samples running,
 * others still waiting. Gangs never are (all-or-nothing); independent requests often are.
 */
function splitGroups(store: TelemetryStore): number {
  const groups = new Map<string, number>(); // bit 1: a sample running, bit 2: a sample waiting
  for (const r of store.requests.values()) {
    const dot = r.id.lastIndexOf('.');
    if (dot < 0 || r.state === 'finished') continue;
    const base = r.id.slice(0, dot);
    groups.set(base, (groups.get(base) ?? 0) | (r.state === 'running' ? 1 : 2));
  }
  let n = 0;
  for (const v of groups.values()) if (v === 3) n++;
  return n;
}

export function lessonById(id: string | null | undefined): Lesson | null {
  return LESSONS.find((l) => l.id === id) ?? null;
}

/** The lesson's configuration for one variant, on top of `base` (the simulated scenario by default). */
export function lessonConfig(base: PlaygroundConfig = SIMULATED_DEFAULT, lesson: Lesson, variant: number): PlaygroundConfig {
  const c = structuredClone(base);
  lesson.preset(c);
  lesson.variants[Math.max(0, Math.min(lesson.variants.length - 1, variant))]?.change(c);
  return c;
}
