/**
 * Checks a configuration before it is sent to the worker, so a bad value is refused at its control
 * with the reason. Keys are field paths ('numPages', 'tenants.1.id', 'workload.rate'); the worker's
 * own checks still run, and what it throws is shown too.
 */
import type { LengthSetting, PlaygroundConfig } from './config';

export type FieldErrors = Record<string, string>;

/** Pool sizes the views are built for (16,384 pages is the pool view's design point). */
export const LIMITS = {
  numPages: [2, 65_536],
  tokensPerPage: [1, 256],
  maxNumBatchedTokens: [1, 65_536],
  maxNumSeqs: [1, 1024],
  maxModelLen: [16, 131_072],
  numRequests: [0, 20_000],
  numHostSwapPages: [0, 65_536],
  n: [1, 16],
  users: [1, 1024],
} as const;

function int(errors: FieldErrors, key: string, v: number, [lo, hi]: readonly [number, number]): void {
  if (!Number.isFinite(v) || !Number.isInteger(v)) errors[key] = `must be a whole number (got ${v})`;
  else if (v < lo || v > hi) errors[key] = `must be between ${lo.toLocaleString('en-US')} and ${hi.toLocaleString('en-US')}`;
}

function ratio(errors: FieldErrors, key: string, v: number): void {
  if (!(v >= 0 && v <= 1)) errors[key] = 'must be between 0 and 1';
}

function length(errors: FieldErrors, key: string, l: LengthSetting): void {
  int(errors, `${key}.min`, l.min, [l.kind === 'fixed' ? 1 : 0, 65_536]);
  if (l.kind !== 'fixed') {
    int(errors, `${key}.max`, l.max, [0, 65_536]);
    if (!errors[`${key}.max`] && !errors[`${key}.min`] && l.max < l.min) errors[`${key}.max`] = `must be >= min (${l.min})`;
  }
}

/** Every problem with `c`, by field path; empty when the configuration can be sent. */
export function validateConfig(c: PlaygroundConfig): FieldErrors {
  const e: FieldErrors = {};
  int(e, 'numPages', c.numPages, LIMITS.numPages);
  int(e, 'tokensPerPage', c.tokensPerPage, LIMITS.tokensPerPage);
  int(e, 'maxNumBatchedTokens', c.maxNumBatchedTokens, LIMITS.maxNumBatchedTokens);
  int(e, 'maxNumSeqs', c.maxNumSeqs, LIMITS.maxNumSeqs);
  int(e, 'maxModelLen', c.maxModelLen, LIMITS.maxModelLen);
  if (c.preemptionMode === 'swap') int(e, 'numHostSwapPages', c.numHostSwapPages, LIMITS.numHostSwapPages);
  if (c.backend === 'gpu' && c.gpuModel === 'url') {
    const why = modelUrlProblem(c.modelUrl, c.modelFiles);
    if (why) e['modelUrl'] = why;
  }
  if (!e['maxNumBatchedTokens'] && !e['maxModelLen'] && !c.enableChunkedPrefill && c.maxNumBatchedTokens < c.maxModelLen) {
    e['maxNumBatchedTokens'] = `without chunked prefill it must be >= max model length (${c.maxModelLen}), so a whole prompt fits one step`;
  }
  if (!Number.isFinite(c.speed) || c.speed <= 0) e['speed'] = 'must be > 0';

  if (c.tenants.length === 0) e['tenants'] = 'at least one tenant is needed';
  const usable = c.numPages - 1;
  const seen = new Set<string>();
  let pagesSum = 0;
  c.tenants.forEach((t, i) => {
    const k = `tenants.${i}`;
    if (!/^[A-Za-z0-9_-]{1,24}$/.test(t.id)) e[`${k}.id`] = 'use 1-24 letters, digits, _ or -';
    else if (seen.has(t.id)) e[`${k}.id`] = `"${t.id}" is used twice`;
    seen.add(t.id);
    if (!(t.weight > 0) || !Number.isFinite(t.weight)) e[`${k}.weight`] = 'must be > 0';
    if (!Number.isInteger(t.priority)) e[`${k}.priority`] = 'must be a whole number';
    if (!Number.isInteger(t.pages) || t.pages < 0) e[`${k}.pages`] = 'must be a whole number >= 0 (0 = even split)';
    pagesSum += t.pages > 0 ? t.pages : Math.floor(usable / Math.max(1, c.tenants.length));
    if (!(t.sloTtftMs >= 0)) e[`${k}.sloTtftMs`] = 'must be >= 0 (0 = none)';
    if (!(t.sloTpotMs >= 0)) e[`${k}.sloTpotMs`] = 'must be >= 0 (0 = none)';
    if (!(t.share >= 0) || !Number.isFinite(t.share)) e[`${k}.share`] = 'must be >= 0';
  });
  if (c.tenants.length > 0 && !c.tenants.some((t) => t.share > 0)) e['tenants'] = 'at least one tenant needs a share of the workload > 0';
  if ((c.sharingPolicy === 'partition' || c.sharingPolicy === 'fair-share') && !e['numPages'] && pagesSum > usable) {
    e['tenants'] = `${c.sharingPolicy === 'partition' ? 'partitions' : 'quotas'} sum to ${pagesSum} pages; the pool has ${usable} usable pages`;
  }

  const w = c.workload;
  if (!Number.isInteger(w.seed) || w.seed < 0 || w.seed > 0xffffffff) e['workload.seed'] = 'must be a whole number from 0 to 4294967295';
  int(e, 'workload.numRequests', w.numRequests, LIMITS.numRequests);
  if (w.arrival === 'closed') int(e, 'workload.users', w.users, LIMITS.users);
  else if (w.arrival !== 'infinite' && !(w.rate > 0 && Number.isFinite(w.rate))) e['workload.rate'] = 'must be > 0 requests/s';
  if (w.arrival === 'gamma' && !(w.burstiness > 0 && Number.isFinite(w.burstiness))) e['workload.burstiness'] = 'must be > 0 (1 = Poisson, < 1 burstier)';
  length(e, 'workload.prompt', w.prompt);
  length(e, 'workload.output', w.output);
  if (!e['workload.output.min'] && w.output.min < 1) e['workload.output.min'] = 'at least 1 output token';
  ratio(e, 'workload.sharedPrefixRatio', w.sharedPrefixRatio);
  if (w.sharedPrefixRatio > 0) int(e, 'workload.sharedPrefixLength', w.sharedPrefixLength, [1, 65_536]);
  ratio(e, 'workload.parallelRatio', w.parallelRatio);
  if (w.parallelRatio > 0) int(e, 'workload.n', w.n, LIMITS.n);
  const longest = (w.sharedPrefixRatio > 0 ? w.sharedPrefixLength : 0) + (w.prompt.kind === 'fixed' ? w.prompt.min : w.prompt.max);
  // Text prompts are short story openings: their lengths come from the text, not these settings.
  const textPrompts = w.textPrompts && c.backend === 'gpu';
  if (!textPrompts && !e['maxModelLen'] && !e['workload.prompt.max'] && longest >= c.maxModelLen) {
    e['workload.prompt.max'] = `prompts up to ${longest} tokens do not fit max model length ${c.maxModelLen} (they would be rejected)`;
  }
  return e;
}

/** Why a model URL (a folder with `files`, or one .gguf / .bin file) cannot be loaded, or null. */
export function modelUrlProblem(url: string, files: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.trim() ? `not a URL: "${url}"` : 'give the URL of a .gguf / .bin file, or of a folder plus its file names';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `use an http(s) URL (got ${u.protocol})`;
  const names = files.split(',').map((f) => f.trim()).filter(Boolean);
  if (names.length === 0 && !/\.(gguf|bin)$/i.test(u.pathname)) return 'a single-file URL must end in .gguf or .bin; for a folder, list its files too';
  if (names.some((n) => n.includes('/') && !/^[\w.-]+(\/[\w.-]+)*$/.test(n))) return 'file names are relative to the folder, comma-separated';
  return null;
}
