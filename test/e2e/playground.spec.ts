import { test, expect, type Page, type ConsoleMessage } from '@playwright/test';

/** Collects console errors and page errors; every test ends by asserting there were none. */
function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** Reads from inside the playground's shadow roots. */
const pool = (page: Page) => page.locator('serving-playground page-pool-view');

test('the default scenario runs: pool agrees with telemetry, block table opens, charts fill', async ({ page }, info) => {
  const problems = watchErrors(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto('./');
  // The simulated backend is labelled.
  await expect(page.getByTestId('model-line')).toContainText('simulated');
  await expect(page.getByTestId('model-line')).toContainText('Llama-3-8B');
  // Steps run and requests finish.
  await expect.poll(async () => Number((await page.getByTestId('key-finished').textContent())?.replace(/,/g, '')), { timeout: 60_000 }).toBeGreaterThan(5);

  // Pause, then compare the pool view's count with the engine's own telemetry of the last step.
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('key-loop')).toHaveText('paused');
  await page.waitForTimeout(400);
  const agree = await page.evaluate(async () => {
    const pg = document.querySelector('serving-playground')!;
    const view = pg.shadowRoot!.querySelector('page-pool-view')!;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    view.draw();
    const last = pg.engine.store.last!;
    return { drawn: view.summary!.used, telemetry: last.pool.numUsedPages, cached: view.summary!.cachedFree, telemetryCached: last.pool.numCachedFreePages };
  });
  console.log(`[e2e] pool view: ${agree.drawn} used, telemetry: ${agree.telemetry}; cached-free ${agree.cached} vs ${agree.telemetryCached}`);
  expect(agree.drawn).toBeGreaterThan(0);
  expect(agree.drawn).toBe(agree.telemetry);
  expect(agree.cached).toBe(agree.telemetryCached);
  await expect(page.getByTestId('pool-used')).toHaveText(agree.drawn.toLocaleString('en-US'));

  // Click a used page: its request's block table opens and lists as many pages as the request holds.
  const target = await page.evaluate(() => {
    const pg = document.querySelector('serving-playground')!;
    const view = pg.shadowRoot!.querySelector('page-pool-view')!;
    const d = pg.engine.mirror!;
    const n = d[1]!;
    for (let p = 1; p < n; p++) {
      const o = 4 + p * 6;
      if (!(d[o + 5]! & 2) && d[o + 2]! > 0) {
        const canvas = view.shadowRoot!.querySelector('canvas')!;
        const r = canvas.getBoundingClientRect();
        const { cell, cols } = view.drawStats().cell ? { cell: view.drawStats().cell, cols: Math.round(r.width / view.drawStats().cell) } : { cell: 0, cols: 0 };
        return { x: r.left + ((p % cols) + 0.5) * cell, y: r.top + (Math.floor(p / cols) + 0.5) * cell, page: p };
      }
    }
    return null;
  });
  expect(target).not.toBeNull();
  await page.mouse.move(target!.x, target!.y);
  await expect(page.getByTestId('pool-tip')).toContainText(`page ${target!.page.toLocaleString('en-US')}`);
  await page.mouse.click(target!.x, target!.y);
  await expect(page.getByTestId('block-table')).toBeVisible();
  const blocks = Number(await page.getByTestId('block-table-blocks').textContent());
  expect(blocks).toBeGreaterThan(0);
  await expect(page.getByTestId('block-table').locator('tbody tr')).toHaveCount(Math.min(blocks, 256));

  // Charts received data.
  for (const id of ['chart-throughput', 'chart-busy', 'chart-kv', 'chart-queues', 'chart-tokens']) {
    const n = await page.getByTestId(id).evaluate((el) => (el as unknown as { numPoints: number }).numPoints);
    expect(n, id).toBeGreaterThan(3);
  }
  await page.screenshot({ path: info.outputPath('playground-1440x900.png') });
  await page.screenshot({ path: info.outputPath('playground-1440x900-full.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: info.outputPath('playground-1280x720.png') });
  await page.screenshot({ path: info.outputPath('playground-1280x720-full.png'), fullPage: true });
  expect(problems).toEqual([]);
});
