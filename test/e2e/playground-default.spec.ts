import { test, expect, type Page, type ConsoleMessage } from '@playwright/test';

/**
 * The default scenario, as `npm start` opens it: the built-in model (playstories 0.9M) on this GPU through
 * WebGPU (SwiftShader here, a CPU), 32 users sending story prompts in a closed loop. One page load, several
 * checks: the model loads, text streams, the pool view agrees with the engine's telemetry,
 * the tooltip shows the prefix-cache hash and token text, the block table shows token text, charts fill.
 */
function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

const num = async (page: Page, id: string) => Number((await page.getByTestId(id).textContent())?.replace(/,/g, ''));

test('default scenario: the built-in model on this GPU serves story prompts; pool, tooltip and block table agree with the engine', async ({ page }, info) => {
  test.setTimeout(240_000);
  const problems = watchErrors(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  const t0 = Date.now();
  await page.goto('./');
  const line = page.getByTestId('model-line');
  await expect(line).toContainText('playstories', { timeout: 90_000 });
  await expect(line).toContainText('this GPU');
  await expect(line).not.toContainText('simulated');
  // The header links the benchmark results page.
  await expect(page.getByTestId('results-link')).toHaveAttribute('href', 'results.html');
  expect((await page.request.get('results.html')).ok()).toBe(true);
  // The first step compiles every kernel (slow on SwiftShader); then steps run and text streams.
  await expect.poll(() => num(page, 'key-step'), { timeout: 150_000 }).toBeGreaterThan(4);
  const firstStepS = (Date.now() - t0) / 1000;
  await expect.poll(() => page.locator('requests-view td.stream.text').filter({ hasText: /[a-z]{2}/ }).count(), { timeout: 60_000 }).toBeGreaterThan(3);
  // 32 users: 32 requests in the engine (plus the samples of n = 2 requests once forked).
  const running = await page.evaluate(() => {
    const last = document.querySelector('serving-playground')!.engine.store.last!;
    return last.numRunning + last.numWaiting;
  });
  expect(running).toBeGreaterThanOrEqual(32);

  // Charts receive data while the engine runs (wall-clock bins of 1 s; a fast machine may get here after
  // only a few bins, so wait for them before pausing).
  for (const id of ['chart-throughput', 'chart-busy', 'chart-kv', 'chart-queues', 'chart-tokens']) {
    await expect
      .poll(() => page.getByTestId(id).evaluate((el) => (el as unknown as { numPoints: number }).numPoints), { message: id, timeout: 30_000 })
      .toBeGreaterThan(3);
  }

  // Pause, then compare the pool view's counts with the engine's telemetry after the last step.
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('key-loop')).toHaveText('paused', { timeout: 60_000 });
  // A step already on the GPU still completes: wait until no step has arrived for 2 s.
  let seen = -1;
  await expect
    .poll(
      async () => {
        const n = await page.evaluate(() => document.querySelector('serving-playground')!.engine.store.totals.steps);
        const settled = n === seen;
        seen = n;
        return settled;
      },
      { timeout: 60_000, intervals: [2000] },
    )
    .toBe(true);
  const agree = await page.evaluate(async () => {
    const pg = document.querySelector('serving-playground')!;
    const view = pg.shadowRoot!.querySelector('page-pool-view')!;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    view.draw();
    const last = pg.engine.store.last!;
    const after = last.poolAfter ?? last.pool;
    return { drawn: view.summary!.used, telemetry: after.numUsedPages, cached: view.summary!.cachedFree, telemetryCached: after.numCachedFreePages, steps: pg.engine.store.totals.steps, tokS: pg.engine.store.totals.outputTokens / (pg.engine.store.runMs / 1000) };
  });
  console.log(`[e2e] default scenario (SwiftShader): first steps after ${firstStepS.toFixed(0)} s; ${agree.steps} steps, ${running} running, ${agree.tokS.toFixed(1)} output tok/s; pool view ${agree.drawn} used vs telemetry ${agree.telemetry}; cached-free ${agree.cached} vs ${agree.telemetryCached}`);
  expect(agree.drawn).toBeGreaterThan(0);
  expect(agree.drawn).toBe(agree.telemetry);
  expect(agree.cached).toBe(agree.telemetryCached);
  await expect(page.getByTestId('pool-used')).toHaveText(agree.drawn.toLocaleString('en-US'));

  // Hover: a page holding the shared preamble shows its prefix-cache hash; a running request's page its text.
  const pick = await page.evaluate(() => {
    const pg = document.querySelector('serving-playground')!;
    const view = pg.shadowRoot!.querySelector('page-pool-view')!;
    const d = pg.engine.mirror!;
    const store = pg.engine.store;
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    const r = canvas.getBoundingClientRect();
    const cell = view.drawStats().cell;
    const cols = Math.round(r.width / cell);
    const at = (p: number) => ({ x: r.left + ((p % cols) + 0.5) * cell, y: r.top + (Math.floor(p / cols) + 0.5) * cell, page: p });
    let hashed = null;
    let owned = null;
    for (let p = 1; p < d[1]!; p++) {
      const o = 4 + p * 6;
      const id = store.requestIdOf[d[o + 2]! - 1];
      if (!hashed && d[o + 5]! & 1) hashed = at(p);
      if (!owned && !(d[o + 5]! & (1 | 2 | 4)) && id && store.requests.get(id)?.state === 'running' && d[o + 3]! > 0) owned = at(p);
    }
    return { hashed, owned };
  });
  expect(pick.hashed, 'a hashed (prefix-cached) page').not.toBeNull();
  await page.mouse.move(pick.hashed!.x, pick.hashed!.y);
  await expect(page.getByTestId('pool-tip')).toContainText(`page ${pick.hashed!.page.toLocaleString('en-US')}`);
  await expect(page.getByTestId('pool-tip-hash')).toHaveText(/^[0-9a-f]{8}$/);
  expect(pick.owned, 'a page of a running request').not.toBeNull();
  await page.mouse.move(pick.owned!.x, pick.owned!.y);
  await expect(page.getByTestId('pool-tip-text')).toContainText(/\w/);
  await page.screenshot({ path: info.outputPath('default-tooltip-1440x900.png') });
  // Click: the block table of that request, with its tokens' text.
  await page.mouse.click(pick.owned!.x, pick.owned!.y);
  await expect(page.getByTestId('block-table')).toBeVisible();
  await expect(page.getByTestId('block-table').locator('th').last()).toHaveText('token slots (text)');
  const slots = await page.getByTestId('block-table').locator('.slot.text').allTextContents();
  expect(slots.join('')).toMatch(/[a-z]{3}/);

  for (const [w, h] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.mouse.move(0, 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: info.outputPath(`default-${w}x${h}.png`) });
    await page.screenshot({ path: info.outputPath(`default-${w}x${h}-full.png`), fullPage: true });
  }
  expect(problems).toEqual([]);
});
