import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

// One tiny case per suite through the real CLI (its own Chrome), as an engineer would run it.
test('npm run bench -- --smoke writes a complete, versioned report', async ({}, info) => {
  test.setTimeout(300_000);
  const out = info.outputPath('bench-smoke.json');
  const stdout = execFileSync(process.execPath, ['src/bench/cli.mjs', '--smoke', '--reps', '5', '--warmup', '1', '--out', out], { encoding: 'utf8' });
  console.log(stdout);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  expect(report.schema).toBe(1);
  expect(report.git_commit).toMatch(/^[0-9a-f]{40}|unknown/);
  expect(report.browser).toMatch(/\d+\.\d+/);
  expect(report.adapter_line).toBeTruthy();
  expect(report.results.length).toBeGreaterThan(0);
  for (const r of report.results) {
    expect(r.samples.length, r.name).toBeGreaterThanOrEqual(5);
    expect(Number.isFinite(r.median_ms), r.name).toBe(true);
    expect(r.min_ms).toBeLessThanOrEqual(r.median_ms);
    expect(r.median_ms).toBeLessThanOrEqual(r.max_ms);
  }
  expect(stdout).toContain('adapter:');
});

test('--baseline exits non-zero when a case regressed past the threshold', async ({}, info) => {
  test.setTimeout(300_000);
  // A baseline 1000x faster than anything can run: every case present in it regresses.
  const baseline = info.outputPath('fast-baseline.json');
  writeFileSync(baseline, JSON.stringify({ adapter_line: 'made up', results: [{ suite: 'trivial', name: 'probe n=4096', median_ms: 1e-6 }] }));
  const out = info.outputPath('vs-baseline.json');
  const r = spawnSync(process.execPath, ['src/bench/cli.mjs', '--smoke', '--suite', 'trivial', '--out', out, '--baseline', baseline, '--threshold', '10%'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(4);
  expect(r.stdout).toMatch(/regressed +trivial: probe n=4096/);
  expect(r.stdout).toContain('the baseline ran on made up');
  expect(readFileSync(out.replace(/\.json$/, '.md'), 'utf8')).toContain('1 regressed');
});
