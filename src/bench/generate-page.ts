// The headless generation page (generate.html): `npm run generate` opens it in Chrome and calls
// `window.runGenerate` with the model's files as URLs the dev server serves (/@fs/<absolute path>).
import { generate, type GenerateOptions, type GenerateResult } from './generate-run';

declare global {
  interface Window {
    /** Never rejects: a failure comes back as { error } so the CLI can print one clean line. */
    runGenerate(opts: GenerateOptions): Promise<GenerateResult | { error: string }>;
  }
}

const status = document.getElementById('status')!;

window.runGenerate = async (opts) => {
  status.textContent = 'running';
  try {
    return await generate(navigator.gpu, opts, (m) => window.benchLog?.(m));
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  } finally {
    status.textContent = 'done';
  }
};
status.textContent = 'ready';
