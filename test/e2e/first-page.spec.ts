import { test, expect, type ConsoleMessage } from '@playwright/test';

test('the Your GPU panel describes the adapter, runs a kernel and has no console errors', async ({ page }, info) => {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('./');
  const vendor = page.getByTestId('vendor');
  await expect(vendor).toBeVisible();
  const architecture = await page.getByTestId('architecture').textContent();
  console.log(`[e2e] adapter: ${await vendor.textContent()} / ${architecture}`);
  await expect(page.getByTestId('probe-status')).toHaveText('matches the reference');
  // vite preview sends COOP/COEP, so the page is cross-origin isolated.
  await expect(page.getByTestId('isolation')).toHaveText('SharedArrayBuffer available');
  await page.screenshot({ path: info.outputPath('first-page.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('without WebGPU the page explains why and how to enable it', async ({ page }) => {
  await page.addInitScript(() => {
    // Simulates a browser without WebGPU in the page and in its workers.
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
  });
  await page.route('**/*worker*.js', async (route) => {
    const res = await route.fetch();
    const body = `Object.defineProperty(WorkerNavigator.prototype, 'gpu', { get: () => undefined });\n${await res.text()}`;
    await route.fulfill({ response: res, body });
  });
  await page.goto('./');
  const card = page.getByTestId('no-webgpu');
  await expect(card).toBeVisible();
  await expect(card).toContainText('does not expose WebGPU');
  await expect(card).toContainText('enable-unsafe-webgpu');
  // The simulated backend needs no WebGPU: the playground runs anyway, labelled simulated.
  await expect(card).toContainText('simulated backend');
  await expect(page.getByTestId('model-line')).toContainText('simulated');
  await expect.poll(async () => Number((await page.getByTestId('key-step').textContent())?.replace(/,/g, '')), { timeout: 60_000 }).toBeGreaterThan(10);
});
