import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
