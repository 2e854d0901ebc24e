/**
 * Pairs the cases of two reports (A, the reference, and B, the one compared) by suite + case name and
 * computes B/A of the median times, with the same rule as `npm run bench -- --baseline A.json`
 * (src/bench/compare.mjs; test/unit/bench/results-page.test.ts checks that both agree): B/A above
 * 1 + threshold is slower, below 1 / (1 + threshold) faster, otherwise within the threshold.
 */
import { adapterLineOf, type BenchCaseResult, type BenchReport } from './report';

export type PairStatus = 'slower' | 'faster' | 'same' | 'only-a' | 'only-b';

export interface CasePair {
  suite: string;
  name: string;
  a: BenchCaseResult | null;
  b: BenchCaseResult | null;
  /** b.median_ms / a.median_ms; null when a side is missing or A's median is 0. */
  ratio: number | null;
  status: PairStatus;
  /** A and B timed this case differently (e.g. gpu-timestamp vs wall-clock): the ratio mixes methods. */
  methodsDiffer: boolean;
}

export interface SuitePairs {
  suite: string;
  cases: CasePair[];
}

export interface Pairing {
  suites: SuitePairs[];
  /** The two reports ran on different adapters: the ratios compare machines, not commits. */
  adaptersDiffer: boolean;
  numSlower: number;
  numFaster: number;
}

const key = (r: { suite: string; name: string }) => `${r.suite}\u0000${r.name}`;

export function statusOf(ratio: number, threshold: number): 'slower' | 'faster' | 'same' {
  return ratio > 1 + threshold ? 'slower' : ratio < 1 / (1 + threshold) ? 'faster' : 'same';
}

/**
 * Suites in the order they first appear (A's, then B's own); cases in A's order, then B's new ones.
 * With only A (b null) every case is 'only-a' and there are no ratios.
 */
export function pairReports(a: BenchReport, b: BenchReport | null, threshold: number): Pairing {
  const bByKey = new Map((b?.results ?? []).map((r) => [key(r), r]));
  const aKeys = new Set(a.results.map(key));
  const bySuite = new Map<string, CasePair[]>();
  const push = (p: CasePair) => {
    const list = bySuite.get(p.suite) ?? [];
    list.push(p);
    bySuite.set(p.suite, list);
  };
  for (const ra of a.results) {
    const rb = bByKey.get(key(ra)) ?? null;
    const ratio = rb && ra.median_ms > 0 ? rb.median_ms / ra.median_ms : null;
    push({
      suite: ra.suite,
      name: ra.name,
      a: ra,
      b: rb,
      ratio,
      status: rb ? (ratio === null ? 'same' : statusOf(ratio, threshold)) : 'only-a',
      methodsDiffer: !!rb && (ra.method ?? '') !== (rb.method ?? ''),
    });
  }
  for (const rb of b?.results ?? []) {
    if (!aKeys.has(key(rb))) push({ suite: rb.suite, name: rb.name, a: null, b: rb, ratio: null, status: 'only-b', methodsDiffer: false });
  }
  const suites = [...bySuite].map(([suite, cases]) => ({ suite, cases }));
  const all = suites.flatMap((s) => s.cases);
  return {
    suites,
    adaptersDiffer: !!b && adapterLineOf(a) !== adapterLineOf(b),
    numSlower: all.filter((p) => p.status === 'slower').length,
    numFaster: all.filter((p) => p.status === 'faster').length,
  };
}

/** Geometric mean of the ratios (the usual one-number summary of per-case speed ratios); null if none. */
export function geomeanRatio(pairs: CasePair[]): number | null {
  const rs = pairs.map((p) => p.ratio).filter((r): r is number => r !== null && r > 0);
  if (!rs.length) return null;
  return Math.exp(rs.reduce((s, r) => s + Math.log(r), 0) / rs.length);
}
