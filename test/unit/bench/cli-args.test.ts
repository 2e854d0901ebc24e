import { describe, expect, test } from 'vitest';
import { formatTable, parseBenchArgs } from '../../../src/bench/cli.mjs';
import { compareReports, formatMarkdown, parseThreshold } from '../../../src/bench/compare.mjs';
import { chooseAdapter, chromeArgs } from '../../../src/bench/chrome.mjs';

describe('bench CLI arguments', () => {
  test('defaults', () => {
    const o = parseBenchArgs([]);
    expect(o.suites).toBe('all');
    expect(o.runtime).toBe('browser');
    expect(o.warmup).toBe(2);
    expect(o.reps).toBe(7);
  });

  test('suites and case filters are split on commas', () => {
    expect(parseBenchArgs(['--suite', 'kernels, trivial']).suites).toEqual(['kernels', 'trivial']);
    expect(parseBenchArgs(['--case', 'decode B32,prefill']).cases).toEqual(['decode B32', 'prefill']);
    expect(parseBenchArgs([]).cases).toBeUndefined();
  });

  test.each([
    [['--runtime', 'deno'], /--runtime must be browser or node, not "deno"/],
    [['--adapter', 'gpu'], /--adapter must be auto, hardware or swiftshader/],
    [['--reps', '3'], /--reps must be a whole number >= 5/],
    [['--warmup=-1'], /--warmup must be a whole number >= 0/],
    [['--chrome', '/no/such/chrome'], /--chrome \/no\/such\/chrome: no such file/],
    [['--frobnicate'], /Unknown option '--frobnicate'[\s\S]*Usage: npm run bench/],
    [['--suite', ','], /--suite needs at least one name/],
    [['--case', ' , '], /--case needs at least one name fragment/],
  ])('%j is refused with a clear message', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  test('the table aligns numbers and names the timing method', () => {
    const table = formatTable([
      { suite: 's', name: 'case a', median_ms: 1.5, min_ms: 1, max_ms: 2, gflops: 12.3456, method: 'gpu-timestamp' },
      { suite: 's', name: 'b', median_ms: 150, min_ms: 100, max_ms: 200, method: 'wall-clock' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('12.3');
    expect(lines[2]).toContain('gpu-timestamp');
    expect(lines[3]).toContain('150.0');
    expect(new Set(lines.map((l) => l.length)).size, 'every line as wide as the header').toBe(1);
  });
});

describe('browser discovery', () => {
  test('adapter choice honours the request and rejects nonsense', () => {
    expect(chooseAdapter('swiftshader')).toBe('swiftshader');
    expect(chooseAdapter('hardware')).toBe('hardware');
    expect(() => chooseAdapter('metal')).toThrow(/WEBGPU_ADAPTER must be auto, hardware or swiftshader/);
  });

  test('flags: SwiftShader asks for its adapter; hardware on Linux asks for Vulkan', () => {
    const sw = chromeArgs('swiftshader');
    expect(sw).toContain('--enable-unsafe-webgpu');
    expect(sw).toContain('--use-webgpu-adapter=swiftshader');
    expect(sw).toContain('--disable-background-networking');
    const hw = chromeArgs('hardware');
    expect(hw).not.toContain('--use-webgpu-adapter=swiftshader');
    if (process.platform === 'linux') expect(hw).toContain('--enable-features=Vulkan');
  });
});

describe('baseline comparison', () => {
  const base = {
    adapter_line: 'google / swiftshader',
    results: [
      { suite: 'k', name: 'a', median_ms: 10 },
      { suite: 'k', name: 'b', median_ms: 10 },
      { suite: 'k', name: 'c', median_ms: 10 },
      { suite: 'k', name: 'gone', median_ms: 10 },
    ],
  };
  const cur = {
    adapter_line: 'google / swiftshader',
    results: [
      { suite: 'k', name: 'a', median_ms: 10.4 }, // +4%: within 5%
      { suite: 'k', name: 'b', median_ms: 12 }, // +20%: regressed
      { suite: 'k', name: 'c', median_ms: 8 }, // 10 / 8 = 1.25 > 1.05: improved
      { suite: 'k', name: 'fresh', median_ms: 1 },
    ],
  };

  test('regression, improvement, unchanged, missing and new cases', () => {
    const c = compareReports(cur, base, 0.05);
    const status = Object.fromEntries(c.rows.map((r) => [r.name, r.status]));
    expect(status).toEqual({ a: 'same', b: 'regressed', c: 'improved', fresh: 'new', gone: 'missing' });
    expect(c.rows.find((r) => r.name === 'b')!.ratio).toBeCloseTo(1.2);
    expect([c.numRegressed, c.numImproved, c.numMissing]).toEqual([1, 1, 1]);
    expect(c.adapterMismatch).toBe(false);
    expect(compareReports(cur, { ...base, adapter_line: 'nvidia' }, 0.05).adapterMismatch).toBe(true);
  });

  test('thresholds parse as percentages or fractions', () => {
    expect(parseThreshold('5%')).toBeCloseTo(0.05);
    expect(parseThreshold('0.1')).toBeCloseTo(0.1);
    expect(parseThreshold('12')).toBeCloseTo(0.12);
    expect(() => parseThreshold('fast')).toThrow(/--threshold must be/);
  });

  test('--baseline must name a report', () => {
    expect(() => parseBenchArgs(['--baseline', '/no/such.json'])).toThrow(/--baseline \/no\/such.json: no such file/);
    expect(() => parseBenchArgs(['--baseline', 'package.json'])).toThrow(/no "results" array/);
  });

  test('the markdown summary lists every case and the verdicts', () => {
    const md = formatMarkdown({ ...cur, git_commit: 'abc' }, compareReports(cur, base, 0.05), 0.05);
    expect(md).toContain('1 regressed, 1 improved, 1 missing (threshold 5.0%)');
    expect(md).toMatch(/\| k \| b \| 10\.0 \| 12\.0 \| 1\.20x \| regressed \|/);
  });
});
