// The results page's pure parts (report checks, A/B pairing, number formats), the CLI's baseline check,
// and agreement between the page's B/A verdicts and `--baseline`'s.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compareReports, formatMarkdown, reportProblem } from '../../../src/bench/compare.mjs';
import { parseBenchArgs } from '../../../src/bench/cli.mjs';
import { fmtRatio, fmtTick, fmtTime } from '../../../src/ui/results/format';
import { geomeanRatio, pairReports } from '../../../src/ui/results/pairing';
import { adapterLineOf, parseReport, ReportError, type BenchReport } from '../../../src/ui/results/report';

const ROOT = resolve(import.meta.dirname, '../../..');
const fixture = (name: string) => readFileSync(resolve(ROOT, 'test/e2e/fixtures', name), 'utf8');
const A = parseReport(fixture('report-a.json'), 'report-a.json');
const B = parseReport(fixture('report-b.json'), 'report-b.json');

describe('report checks (results page)', () => {
  test.each([
    ['{', /x\.json is not JSON/],
    ['<!doctype html><p>404', /not JSON \(it looks like HTML: is the URL right\?\)/],
    ['[1, 2]', /JSON but not an object/],
    ['{"results": []}', /no "schema" field/],
    ['{"schema": 2, "results": []}', /schema 2; this page reads schema 1/],
    ['{"schema": 1}', /no "results" array/],
    ['{"schema": 1, "results": [{"name": "n", "median_ms": 1}]}', /results\[0\] has no "suite" name/],
    ['{"schema": 1, "results": [{"suite": "s", "median_ms": 1}]}', /results\[0\] \(suite s\) has no case "name"/],
    ['{"schema": 1, "results": [{"suite": "s", "name": "n", "median_ms": "fast"}]}', /s "n": median_ms must be a number >= 0, not "fast"/],
    ['{"schema": 1, "results": [{"suite": "s", "name": "n", "median_ms": -1}]}', /median_ms must be a number >= 0, not -1/],
    ['{"schema": 1, "results": [{"suite": "s", "name": "n", "median_ms": 1, "min_ms": 2, "max_ms": 3}]}', /min_ms <= median_ms <= max_ms does not hold/],
    ['{"schema": 1, "results": [{"suite": "s", "name": "n", "median_ms": 1, "samples": [1, "x"]}]}', /samples must be an array of times/],
    ['{"schema": 1, "results": [{"suite": "s", "name": "n", "median_ms": 1}, {"suite": "s", "name": "n", "median_ms": 2}]}', /appears twice/],
  ])('%s is refused: %s', (text, message) => {
    expect(() => parseReport(text, 'x.json')).toThrow(ReportError);
    expect(() => parseReport(text, 'x.json')).toThrow(message);
  });

  test('the e2e fixtures: two good reports, one bad', () => {
    expect(A.results).toHaveLength(5);
    expect(() => parseReport(fixture('report-bad.json'), 'report-bad.json')).toThrow(/matmul f32 broken": median_ms must be a number/);
    expect(() => parseReport(fixture('not-a-report.json'), 'n.json')).toThrow(/no "schema" field/);
  });

  test('every committed result under bench/results/ is a valid schema-1 report', () => {
    const dir = resolve(ROOT, 'bench/results');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(resolve(dir, f), 'utf8');
      expect(() => parseReport(text, f), f).not.toThrow();
      expect(reportProblem(JSON.parse(text)), f).toBeNull();
    }
  });

  test('adapter line: the report\'s own, else built from adapter', () => {
    expect(adapterLineOf(A)).toBe('google / swiftshader / SwiftShader Device (Subzero) (core, software)');
    expect(adapterLineOf({ schema: 1, results: [], adapter: { vendor: 'v', architecture: 'a', description: 'd' } })).toBe('v / a / d');
    expect(adapterLineOf({ schema: 1, results: [] })).toBe('unknown adapter');
  });
});

describe('pairing A and B', () => {
  test('B/A per case, verdicts at 5%, cases only on one side, mixed timing methods', () => {
    const p = pairReports(A, B, 0.05);
    expect(p.suites.map((s) => s.suite)).toEqual(['kernels.matmul', 'scheduler']);
    const rows = Object.fromEntries(p.suites.flatMap((s) => s.cases).map((c) => [c.name, c]));
    // 20 / 10 = 2; 1 / 4 = 0.25; 2.04 / 2 = 1.02 (within 5%); 0.55 / 0.5 = 1.1 (> 1.05).
    expect(rows['matmul f32 64x64x64']!.ratio).toBeCloseTo(2, 12);
    expect(rows['matmul f32 1x256x256']!.ratio).toBeCloseTo(0.25, 12);
    expect(rows['matmul f32 7x33x65 (awkward)']!.ratio).toBeCloseTo(1.02, 12);
    expect(rows['schedule 256 requests']!.ratio).toBeCloseTo(1.1, 12);
    expect(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.status]))).toEqual({
      'matmul f32 64x64x64': 'slower',
      'matmul f32 1x256x256': 'faster',
      'matmul f32 7x33x65 (awkward)': 'same',
      'schedule 256 requests': 'slower',
      'only in A': 'only-a',
      'only in B': 'only-b',
    });
    expect(rows['matmul f32 7x33x65 (awkward)']!.methodsDiffer).toBe(true);
    expect(rows['matmul f32 64x64x64']!.methodsDiffer).toBe(false);
    expect([p.numSlower, p.numFaster, p.adaptersDiffer]).toEqual([2, 1, false]);
    // (2 * 0.25 * 1.02 * 1.1)^(1/4)
    expect(geomeanRatio(p.suites.flatMap((s) => s.cases))).toBeCloseTo((2 * 0.25 * 1.02 * 1.1) ** 0.25, 12);
  });

  test('different adapters are flagged; one report alone has no ratios', () => {
    const gpu = parseReport(fixture('report-gpu.json'), 'gpu.json');
    expect(pairReports(A, gpu, 0.05).adaptersDiffer).toBe(true);
    const alone = pairReports(A, null, 0.05);
    expect(alone.adaptersDiffer).toBe(false);
    expect(alone.suites.flatMap((s) => s.cases).every((c) => c.ratio === null && c.status === 'only-a')).toBe(true);
    expect(geomeanRatio(alone.suites.flatMap((s) => s.cases))).toBeNull();
  });

  test('a zero median in A gives no ratio rather than Infinity', () => {
    const z: BenchReport = { schema: 1, results: [{ suite: 's', name: 'n', median_ms: 0 }] };
    const p = pairReports(z, { schema: 1, results: [{ suite: 's', name: 'n', median_ms: 1 }] }, 0.05);
    expect(p.suites[0]!.cases[0]!.ratio).toBeNull();
  });

  test('the page and npm run bench --baseline give the same verdicts on the same pair', () => {
    for (const t of [0, 0.05, 0.1, 1.5]) {
      const page = Object.fromEntries(pairReports(A, B, t).suites.flatMap((s) => s.cases).map((c) => [c.name, c.status]));
      const cli = Object.fromEntries(compareReports(B, A, t).rows.map((r) => [r.name, r.status]));
      const asPage = { regressed: 'slower', improved: 'faster', same: 'same', missing: 'only-a', new: 'only-b' } as const;
      expect(page, `threshold ${t}`).toEqual(Object.fromEntries(Object.entries(cli).map(([k, v]) => [k, asPage[v]])));
    }
  });
});

describe('number formats', () => {
  test('times keep three significant digits across units', () => {
    expect(fmtTime(0.0000123)).toBe('12.3 ns');
    expect(fmtTime(0.0123)).toBe('12.3 µs');
    expect(fmtTime(4.5)).toBe('4.50 ms');
    expect(fmtTime(303.78)).toBe('304 ms');
    expect(fmtTime(2019.8)).toBe('2.02 s');
    expect(fmtTime(undefined)).toBe('—');
  });
  test('ratios and axis ticks', () => {
    expect(fmtRatio(2)).toBe('2.00×');
    expect(fmtRatio(0.25)).toBe('0.250×');
    expect(fmtRatio(15.84)).toBe('15.8×');
    expect(fmtRatio(null)).toBe('—');
    expect(fmtRatio(0.9996)).toBe('1.00×');
    expect(fmtRatio(0.9994)).toBe('0.999×');
    expect([0.01, 0.2, 1, 100, 1000, 10000].map(fmtTick)).toEqual(['10 µs', '200 µs', '1 ms', '100 ms', '1 s', '10 s']);
  });
});

describe('the CLI\'s baseline check (compare.mjs reportProblem)', () => {
  test.each([
    [[1], /not a JSON object/],
    [{ schema: 2, results: [] }, /schema 2, but this version reads schema 1/],
    [{ results: 'x' }, /no "results" array/],
    [{ results: [{ suite: 's', name: 'n', median_ms: null }] }, /s "n": median_ms must be a number >= 0, not null/],
    [{ results: [{ suite: 's', median_ms: 1 }] }, /has no case "name"/],
    [{ results: [{ suite: 's', name: 'n', median_ms: 1 }, { suite: 's', name: 'n', median_ms: 1 }] }, /appears twice/],
  ])('%j: %s', (data, message) => {
    expect(reportProblem(data)).toMatch(message);
  });

  test('hand-written baselines without "schema" still pass', () => {
    expect(reportProblem({ results: [{ suite: 's', name: 'n', median_ms: 1e-6 }] })).toBeNull();
  });

  test('--baseline refuses a report with a broken case, naming it', () => {
    const bad = resolve(ROOT, 'test/e2e/fixtures/report-bad.json');
    expect(() => parseBenchArgs(['--baseline', bad])).toThrow(/--baseline .*report-bad\.json: kernels\.matmul "matmul f32 broken": median_ms must be a number >= 0, not "fast"\./);
  });

  test('the markdown summary names the baseline and points to the results page', () => {
    const md = formatMarkdown(B, compareReports(B, A, 0.05), 0.05, A);
    expect(md).toContain('Baseline: google / swiftshader / SwiftShader Device (Subzero) (core, software); commit `111111111111`; 2026-11-20T10:00:00.000Z');
    expect(md).toContain('ratio = median time / baseline median time (above 1: slower).');
    expect(md).toContain('results.html');
    expect(formatMarkdown(B)).not.toContain('Baseline:');
  });
});

describe('--list', () => {
  test('names every suite with its description, without starting a browser or a GPU', () => {
    const r = spawnSync(process.execPath, [resolve(ROOT, 'src/bench/cli.mjs'), '--list'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^trivial +probe kernel/m);
    expect(r.stdout).toMatch(/^kernels\.matmul +\S/m);
    expect(r.stderr).not.toContain('adapter');
  }, 60_000);
});
