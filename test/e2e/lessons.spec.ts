import { test, expect, type Page, type ConsoleMessage } from '@playwright/test';

/**
 * The guided lessons, in one page load: each of the seven opens from the lesson picker and runs (the
 * simulated backend) without console errors; lessons 2 and 7 run two variants and show them side by
 * side; a variant is carried in the URL. Screenshots of the new lessons at desktop and laptop sizes.
 */
function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

const LESSON_IDS = ['paged-vs-contiguous', 'static-batching', 'chunked-prefill', 'prefix-caching', 'preemption', 'two-tenants', 'gang-admission'];

const steps = async (page: Page) => Number((await page.getByTestId('key-step').textContent())?.replace(/,/g, ''));

async function shoot(page: Page, path: (name: string) => string, name: string): Promise<void> {
  for (const [w, h] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(250);
    await page.screenshot({ path: path(`lesson-${name}-${w}x${h}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('all seven lessons load and run without console errors; variants compare side by side and live in the URL', async ({ page }, info) => {
  test.setTimeout(180_000);
  const problems = watchErrors(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`./?lesson=${LESSON_IDS[0]}`);
  const titles = new Set<string>();
  for (const id of LESSON_IDS) {
    if (id !== LESSON_IDS[0]) await page.getByTestId('lesson-select').selectOption(id);
    await expect(page.getByTestId('lesson-select')).toHaveValue(id);
    await expect(page.getByTestId('model-line')).toContainText('simulated');
    await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(40);
    titles.add((await page.getByTestId('lesson-title').textContent()) ?? '');
    expect(await page.getByTestId('lesson-numbers').locator('b').count(), id).toBeGreaterThanOrEqual(3);
    expect(new URL(page.url()).searchParams.get('lesson')).toBe(id);
  }
  expect(titles.size).toBe(7);

  // Lesson 2: continuous, then static batching on the same workload; the numbers stand side by side.
  await page.getByTestId('lesson-select').selectOption('static-batching');
  await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(300);
  await page.locator('lesson-panel button[data-variant="1"]').click();
  await expect(page.locator('select[data-path="batching"]')).toHaveValue('static');
  await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(300);
  const compare = page.getByTestId('lesson-compare');
  await expect(compare.locator('thead th')).toHaveCount(3);
  await expect(compare).toContainText('output tokens / s');
  await expect(compare).toContainText('TTFT p50 (waiting counted)');
  // Static batching waits for the batch: admission was held back in some steps, never in continuous.
  const waited = compare.locator('tr', { hasText: 'steps admission waited' }).locator('td');
  await expect(waited.nth(1)).toHaveText('0');
  await expect.poll(async () => Number((await waited.nth(2).textContent())?.replace(/,/g, ''))).toBeGreaterThan(0);
  await page.waitForTimeout(1500);
  await shoot(page, (n) => info.outputPath(n), 'static-batching');

  // Lesson 7: a tagged gang is admitted whole (requeued when it does not fit); independent requests split.
  await page.getByTestId('lesson-select').selectOption('gang-admission');
  await page.locator('lesson-panel button[data-variant="1"]').click();
  await expect(page.locator('select[data-path="workload.parallelMode"]')).toHaveValue('gang');
  await expect.poll(async () => (await page.getByTestId('lesson-numbers').textContent()) ?? '', { timeout: 30_000 }).toMatch(/groups admitted whole\s*[1-9]/);
  await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(400);
  await page.locator('lesson-panel button[data-variant="2"]').click();
  await expect(page.locator('select[data-path="workload.parallelMode"]')).toHaveValue('independent');
  await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(400);
  // All three variants ran on this page (the first in the tour above): three columns beside the labels.
  await expect(page.getByTestId('lesson-compare').locator('thead th')).toHaveCount(4);
  await page.waitForTimeout(1500);
  await shoot(page, (n) => info.outputPath(n), 'gang-admission');

  // The variant is in the URL: a reload restores it.
  await expect.poll(() => new URL(page.url()).searchParams.get('variant')).toBe('2');
  await page.reload();
  await expect(page.locator('select[data-path="workload.parallelMode"]')).toHaveValue('independent');
  await expect(page.locator('lesson-panel button[data-variant="2"]')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => steps(page), { timeout: 30_000 }).toBeGreaterThan(20);
  expect(problems).toEqual([]);
});
