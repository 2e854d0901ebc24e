// @ts-check
// Comparing a benchmark report with a baseline, and the markdown summary written beside the JSON.
// A case is matched by suite + name; its metric is the median time (lower is better), since GFLOP/s
// and GB/s are derived from it. A change beyond the threshold is a regression or an improvement.

/**
 * @typedef {{ suite: string, name: string, median_ms: number, min_ms?: number, max_ms?: number, gflops?: number, gbps?: number, method?: string, params?: Record<string, unknown> }} CaseResult
 * @typedef {{ adapter_line?: string, git_commit?: string, date?: string, results: CaseResult[] }} Report
 * @typedef {{ suite: string, name: string, base_ms: number | null, cur_ms: number | null, ratio: number | null, status: 'regressed' | 'improved' | 'same' | 'missing' | 'new' }} ComparisonRow
 */

/**
 * What is wrong with a value read as a report, in one sentence; null when it can be compared. A baseline
 * with a non-numeric median would otherwise compare as NaN and pass silently. `schema`, when present,
 * must be 1 (hand-written baselines may leave it out); the results page (src/ui/results/report.ts)
 * applies the same checks and requires `schema`.
 * @param {unknown} data
 * @returns {string | null}
 */
export function reportProblem(data) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a JSON object';
  const d = /** @type {Record<string, unknown>} */ (data);
  if ('schema' in d && d['schema'] !== 1) return `schema ${JSON.stringify(d['schema'])}, but this version reads schema 1`;
  if (!Array.isArray(d['results'])) return 'no "results" array; is it a report written by npm run bench?';
  const seen = new Set();
  for (let i = 0; i < d['results'].length; i++) {
    const r = d['results'][i];
    if (typeof r !== 'object' || r === null) return `results[${i}] is not an object`;
    if (typeof r.suite !== 'string' || !r.suite) return `results[${i}] has no "suite" name`;
    if (typeof r.name !== 'string' || !r.name) return `results[${i}] (suite ${r.suite}) has no case "name"`;
    if (typeof r.median_ms !== 'number' || !Number.isFinite(r.median_ms) || r.median_ms < 0) {
      return `${r.suite} "${r.name}": median_ms must be a number >= 0, not ${JSON.stringify(r.median_ms)}`;
    }
    const key = `${r.suite}\u0000${r.name}`;
    if (seen.has(key)) return `${r.suite} "${r.name}" appears twice`;
    seen.add(key);
  }
  return null;
}

/** "5%", "5", or "0.05" -> 0.05.
 * @param {string} text
 */
export function parseThreshold(text) {
  const s = String(text).trim();
  const pct = s.endsWith('%');
  const v = Number(pct ? s.slice(0, -1) : s);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--threshold must be a non-negative number or percentage, not "${text}".`);
  return pct || v >= 1 ? v / 100 : v;
}

/**
 * @param {Report} current
 * @param {Report} baseline
 * @param {number} threshold fraction, e.g. 0.05
 * @returns {{ rows: ComparisonRow[], numRegressed: number, numImproved: number, numMissing: number, adapterMismatch: boolean }}
 */
export function compareReports(current, baseline, threshold) {
  const key = (/** @type {CaseResult} */ r) => `${r.suite}\u0000${r.name}`;
  const base = new Map(baseline.results.map((r) => [key(r), r]));
  const seen = new Set();
  /** @type {ComparisonRow[]} */
  const rows = [];
  for (const r of current.results) {
    const b = base.get(key(r));
    seen.add(key(r));
    if (!b) {
      rows.push({ suite: r.suite, name: r.name, base_ms: null, cur_ms: r.median_ms, ratio: null, status: 'new' });
      continue;
    }
    // ratio > 1: slower than the baseline.
    const ratio = r.median_ms / b.median_ms;
    const status = ratio > 1 + threshold ? 'regressed' : ratio < 1 / (1 + threshold) ? 'improved' : 'same';
    rows.push({ suite: r.suite, name: r.name, base_ms: b.median_ms, cur_ms: r.median_ms, ratio, status });
  }
  for (const b of baseline.results) {
    if (!seen.has(key(b))) rows.push({ suite: b.suite, name: b.name, base_ms: b.median_ms, cur_ms: null, ratio: null, status: 'missing' });
  }
  return {
    rows,
    numRegressed: rows.filter((r) => r.status === 'regressed').length,
    numImproved: rows.filter((r) => r.status === 'improved').length,
    numMissing: rows.filter((r) => r.status === 'missing').length,
    adapterMismatch: !!baseline.adapter_line && baseline.adapter_line !== current.adapter_line,
  };
}

const num = (/** @type {number | null | undefined} */ n) => (n === null || n === undefined || !Number.isFinite(n) ? '' : n >= 100 ? n.toFixed(1) : n.toPrecision(3));

/**
 * A markdown summary for pull requests: the adapter, then one row per case (and the comparison when given).
 * @param {Report & { runtime?: string, browser?: string | null, backend?: string }} report
 * @param {ReturnType<typeof compareReports> | null} comparison
 * @param {number} [threshold]
 * @param {Report | null} [baseline] the baseline report, to say where its numbers came from
 */
export function formatMarkdown(report, comparison = null, threshold = 0.05, baseline = null) {
  const lines = [
    `### Benchmarks: ${report.adapter_line ?? 'unknown adapter'}`,
    '',
    `${report.runtime ?? ''}${report.browser ? `, ${report.browser}` : report.backend ? `, ${report.backend}` : ''}; commit \`${(report.git_commit ?? 'unknown').slice(0, 12)}\`; ${report.date ?? ''}`,
    '',
  ];
  if (comparison) {
    if (baseline) {
      lines.push(`Baseline: ${baseline.adapter_line ?? 'unknown adapter'}; commit \`${(baseline.git_commit ?? 'unknown').slice(0, 12)}\`; ${baseline.date ?? 'undated'}`, '');
    }
    if (comparison.adapterMismatch) lines.push('> **Note:** the baseline ran on a different adapter; ratios compare machines, not commits.', '');
    lines.push(
      `${comparison.numRegressed} regressed, ${comparison.numImproved} improved, ${comparison.numMissing} missing (threshold ${(threshold * 100).toFixed(1)}%)`,
      '',
      '| suite | case | baseline ms | ms | ratio | |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    );
    for (const r of comparison.rows) {
      const mark = { regressed: 'regressed', improved: 'improved', same: '', missing: 'missing', new: 'new' }[r.status];
      lines.push(`| ${r.suite} | ${r.name} | ${num(r.base_ms)} | ${num(r.cur_ms)} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${mark} |`);
    }
  } else {
    lines.push('| suite | case | median ms | min ms | max ms | GFLOP/s | GB/s | timing |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of report.results) {
      lines.push(`| ${r.suite} | ${r.name} | ${num(r.median_ms)} | ${num(r.min_ms)} | ${num(r.max_ms)} | ${num(r.gflops)} | ${num(r.gbps)} | ${r.method ?? ''} |`);
    }
  }
  if (comparison) lines.push('', 'ratio = median time / baseline median time (above 1: slower).');
  lines.push('', 'Charts: load this JSON (and the baseline) in the app\'s results page, results.html; see docs/benchmarks.md.');
  return `${lines.join('\n')}\n`;
}
