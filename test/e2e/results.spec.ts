import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// The results page (results.html) on the built app: two small reports in, charts and tables out.
// Fixture numbers (test/e2e/fixtures): A 10 ms -> B 20 ms (2.00x), 4 -> 1 (0.250x), 2 -> 2.04 (1.02x,
// timed gpu-timestamp in A and wall-clock in B), 0.5 -> 0.55 (1.10x), one case only in each.
const FIX = resolve(import.meta.dirname, 'fixtures');
const fix = (name: string) => resolve(FIX, name);

async function loadBoth(page: Page) {
  await page.goto('results.html');
  await page.getByTestId('file-a').setInputFiles(fix('report-a.json'));
  await page.getByTestId('file-b').setInputFiles(fix('report-b.json'));
  await expect(page.getByTestId('summary')).toBeVisible();
}

/** Drops a file on an element the way a browser does: a drop event carrying a DataTransfer. */
async function dropFile(page: Page, testId: string, name: string) {
  const text = readFileSync(fix(name), 'utf8');
  const dt = await page.evaluateHandle(
    ([t, n]) => {
      const d = new DataTransfer();
      d.items.add(new File([t], n, { type: 'application/json' }));
      return d;
    },
    [text, name] as const,
  );
  await page.getByTestId(testId).dispatchEvent('drop', { dataTransfer: dt });
}

test('two uploaded reports: headers, one chart and one table per suite, B/A per case', async ({ page }, info) => {
  await loadBoth(page);
  const cardA = page.getByTestId('report-card-a');
  await expect(cardA).toContainText('google / swiftshader / SwiftShader Device (Subzero) (core, software)');
  await expect(cardA).toContainText('111111111111');
  await expect(cardA).toContainText('156.0.8078.108');
  await expect(page.getByTestId('report-card-b')).toContainText('222222222222');
  await expect(page.getByTestId('adapter-note')).toHaveCount(0);
  await expect(page.getByTestId('summary')).toContainText('4 cases in both: 2 slower and 1 faster in B by more than 5%');

  // (2 x 0.25 x 1.02)^(1/3) = 0.7990; the scheduler's one paired case: 1.10.
  await expect(page.getByTestId('geomean-kernels.matmul')).toHaveText('0.799×');
  await expect(page.getByTestId('geomean-scheduler')).toHaveText('1.10×');
  for (const suite of ['kernels.matmul', 'scheduler']) {
    const section = page.getByTestId(`suite-${suite}`);
    // uPlot drew into a canvas of real size.
    const canvas = section.locator('results-chart canvas');
    await expect(canvas).toHaveCount(1);
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(60);
  }

  const rowText = async (name: string) => (await page.locator(`tr[data-case="${name}"]`).innerText()).replace(/\s+/g, ' ');
  const ratio = (name: string) => page.locator(`tr[data-case="${name}"]`).getByTestId('ratio');
  await expect(ratio('matmul f32 64x64x64')).toHaveText('2.00×');
  await expect(ratio('matmul f32 1x256x256')).toHaveText('0.250×');
  await expect(ratio('matmul f32 7x33x65 (awkward)')).toHaveText('1.02×');
  await expect(ratio('schedule 256 requests')).toHaveText('1.10×');
  await expect(ratio('only in A')).toHaveText('—');
  expect(await rowText('matmul f32 64x64x64')).toContain('10.0 ms 8.00 ms – 12.0 ms 20.0 ms 15.0 ms – 30.0 ms 2.00× B slower');
  expect(await rowText('matmul f32 1x256x256')).toContain('B faster');
  expect(await rowText('matmul f32 7x33x65 (awkward)')).toContain('gpu-timestamp / wall-clock');
  expect(await rowText('only in B')).toContain('only in B');

  // Parameters, folded under the table.
  const params = page.getByTestId('suite-kernels.matmul').locator('details.params');
  await params.locator('summary').click();
  await expect(params).toContainText('m 7 · k 33 · n 65 · dtype f32');

  // Keyboard: focus the chart, step with the arrow keys; the numbers are read out.
  const plot = page.getByTestId('suite-kernels.matmul').locator('results-chart .plot');
  await plot.focus();
  const readout = page.getByTestId('suite-kernels.matmul').getByTestId('chart-readout');
  await expect(readout).toContainText('matmul f32 64x64x64');
  await expect(readout).toContainText('B/A 2.00×');
  await page.keyboard.press('ArrowDown');
  await expect(readout).toContainText('matmul f32 1x256x256');
  await expect(readout).toContainText('B/A 0.250×');
  await page.keyboard.press('End');
  await expect(readout).toContainText('matmul f32 7x33x65 (awkward)');

  // A higher threshold changes the verdicts, not the ratios.
  await page.locator('bench-results input[type=number]').fill('15');
  await page.locator('bench-results input[type=number]').press('Enter');
  await expect(page.getByTestId('summary')).toContainText('1 slower and 1 faster in B by more than 15%');

  await page.screenshot({ path: info.outputPath('results-two-reports.png'), fullPage: true });
});

test('a dropped report from another adapter: the page says it compares machines', async ({ page }, info) => {
  await page.goto('results.html');
  await page.getByTestId('file-a').setInputFiles(fix('report-a.json'));
  await dropFile(page, 'drop-b', 'report-gpu.json');
  await expect(page.getByTestId('report-card-b')).toContainText('nvidia / NVIDIA: 580.159.04');
  await expect(page.getByTestId('report-card-b')).toContainText('hardware');
  await expect(page.getByTestId('adapter-note')).toContainText('Different adapters: this compares machines, not commits.');
  // 0.012 / 10 and 0.005 / 4.
  await expect(page.locator('tr[data-case="matmul f32 64x64x64"]').getByTestId('ratio')).toHaveText('0.0012×');
  await expect(page.locator('tr[data-case="matmul f32 1x256x256"]').getByTestId('ratio')).toHaveText('0.0013×');
  await page.screenshot({ path: info.outputPath('results-machines.png'), fullPage: true });
});

test('a wrong file gets a clear error and the side keeps its report', async ({ page }, info) => {
  await loadBoth(page);
  await page.getByTestId('file-b').setInputFiles(fix('report-bad.json'));
  const err = page.getByTestId('error-b');
  await expect(err).toHaveAttribute('role', 'alert');
  await expect(err).toContainText('report-bad.json: kernels.matmul "matmul f32 broken": median_ms must be a number >= 0, not "fast".');
  await expect(err).toContainText('(still showing report-b.json)');
  await expect(page.locator('tr[data-case="matmul f32 64x64x64"]').getByTestId('ratio')).toHaveText('2.00×');
  await page.screenshot({ path: info.outputPath('results-error.png'), fullPage: true });

  await page.getByTestId('file-a').setInputFiles(fix('not-a-report.json'));
  await expect(page.getByTestId('error-a')).toContainText('not-a-report.json has no "schema" field. Is it a report written by npm run bench (schema 1)?');
  await dropFile(page, 'drop-a', 'report-a.json');
  await expect(page.getByTestId('error-a')).toHaveCount(0);
});

test('?a= and ?b= load reports by URL and by committed name; one report alone is a table of its own', async ({ page }) => {
  const body = readFileSync(fix('report-a.json'), 'utf8');
  await page.route('**/reports/a.json', (route) => route.fulfill({ body, contentType: 'application/json' }));
  await page.route('**/reports/missing.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('results.html?a=reports/a.json');
  await expect(page.getByTestId('report-card-a')).toContainText('111111111111');
  await expect(page.getByTestId('table-kernels.matmul')).toContainText('10.0 ms');
  await expect(page.getByTestId('table-kernels.matmul')).toContainText('8.00 ms – 12.0 ms');

  await page.goto('results.html?b=reports/missing.json');
  await expect(page.getByTestId('error-b')).toContainText('reports/missing.json: could not be fetched: HTTP 404');

  // The committed results are part of the build; the first one loads by name.
  const options = await page.getByTestId('committed-a').locator('option').allTextContents();
  const first = options.find((o) => o.endsWith('.json'));
  expect(first, 'bench/results/ holds committed reports').toBeTruthy();
  await page.goto(`results.html?a=${first}`);
  await expect(page.getByTestId('report-card-a')).toBeVisible();
  await expect(page.locator('bench-results >> .suite').first()).toBeVisible();
  expect(new URL(page.url()).searchParams.get('a')).toBe(first);
});
