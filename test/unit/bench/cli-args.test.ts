import { describe, expect, test } from 'vitest';
import { formatTable, parseBenchArgs } from '../../../src/bench/cli.mjs';
import { chooseAdapter, chromeArgs } from '../../../src/bench/chrome.mjs';

describe('bench CLI arguments', () => {
  test('defaults', () => {
    const o = parseBenchArgs([]);
    expect(o.suites).toBe('all');
    expect(o.runtime).toBe('browser');
    expect(o.warmup).toBe(2);
    expect(o.reps).toBe(7);
  });

  test('suites are split on commas', () => {
    expect(parseBenchArgs(['--suite', 'kernels, trivial']).suites).toEqual(['kernels', 'trivial']);
  });

  test.each([
    [['--runtime', 'deno'], /--runtime must be browser or node, not "deno"/],
    [['--adapter', 'gpu'], /--adapter must be auto, hardware or swiftshader/],
    [['--reps', '3'], /--reps must be a whole number >= 5/],
    [['--warmup=-1'], /--warmup must be a whole number >= 0/],
    [['--chrome', '/no/such/chrome'], /--chrome \/no\/such\/chrome: no such file/],
    [['--frobnicate'], /Unknown option '--frobnicate'[\s\S]*Usage: npm run bench/],
    [['--suite', ','], /--suite needs at least one name/],
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
