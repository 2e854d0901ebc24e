/**
 * Lessons: guided scenarios, each a preset (changes to the default configuration), a short
 * explanation, what to watch, and the live numbers that make the point. A lesson with variants lets
 * the reader run the same workload under each setting and compare the numbers.
 *
 * Only scenarios the engine supports today are here: static batching and gang admission need engine
 * features that are not exposed yet (see the report of the UI work).
 */
import type { RunReport } from '../../metrics';
import type { PlaygroundConfig } from '../state/config';
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
];

export function lessonById(id: string | null | undefined): Lesson | null {
  return LESSONS.find((l) => l.id === id) ?? null;
}

/** The lesson's configuration for one variant, on top of `base`. */
export function lessonConfig(base: PlaygroundConfig, lesson: Lesson, variant: number): PlaygroundConfig {
  const c = structuredClone(base);
  lesson.preset(c);
  lesson.variants[Math.max(0, Math.min(lesson.variants.length - 1, variant))]?.change(c);
  return c;
}
