/**
 * A benchmark report as `npm run bench` writes it (schema 1; docs/benchmarks.md lists every field), and
 * the checks the results page runs before it draws anything. The page reads foreign files, so every
 * field it uses is checked here and a wrong file gets one sentence that says what is wrong and where.
 */

/** The schema version this page reads (src/bench/cli.mjs SCHEMA_VERSION). */
export const SCHEMA_VERSION = 1;

/** One case's result (src/bench/suite.ts CaseResult). */
export interface BenchCaseResult {
  suite: string;
  name: string;
  params?: Record<string, number | string | boolean>;
  /** gpu-timestamp | wall-clock | cpu (older or foreign files may say something else; shown as given). */
  method?: string;
  samples?: number[];
  median_ms: number;
  min_ms?: number;
  max_ms?: number;
  gflops?: number;
  gbps?: number;
}

export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  featureLevel?: string;
  isSoftware?: boolean;
}

/** The report (src/bench/cli.mjs `report`). Only `schema` and `results` are required. */
export interface BenchReport {
  schema: number;
  date?: string;
  git_commit?: string;
  runtime?: string;
  backend?: string;
  adapter?: AdapterInfo | null;
  adapter_line?: string;
  features?: string[];
  timing_method?: string;
  browser?: string | null;
  os?: string;
  cpu?: string;
  node?: string;
  config?: { suites?: string[] | 'all'; warmup?: number; repetitions?: number; smoke?: boolean; adapter_requested?: string };
  wall_s?: number;
  results: BenchCaseResult[];
}

/** A report that failed the checks; `message` is written for the person who picked the file. */
export class ReportError extends Error {
  override name = 'ReportError';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Parses and checks a report's text. `source` names the file or URL in the error messages.
 * Throws ReportError on anything the page could not draw honestly.
 */
export function parseReport(text: string, source: string): BenchReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const head = text.trimStart().slice(0, 1);
    const hint = head === '<' ? ' (it looks like HTML: is the URL right?)' : '';
    throw new ReportError(`${source} is not JSON${hint}: ${(e as Error).message}`);
  }
  return checkReport(data, source);
}

/** Checks an already-parsed value; see parseReport. */
export function checkReport(data: unknown, source: string): BenchReport {
  const notReport = `Is it a report written by npm run bench (schema ${SCHEMA_VERSION})?`;
  if (!isObj(data)) throw new ReportError(`${source} is JSON but not an object. ${notReport}`);
  if (!('schema' in data)) throw new ReportError(`${source} has no "schema" field. ${notReport}`);
  if (data['schema'] !== SCHEMA_VERSION) {
    throw new ReportError(`${source} has schema ${JSON.stringify(data['schema'])}; this page reads schema ${SCHEMA_VERSION}.`);
  }
  const results = data['results'];
  if (!Array.isArray(results)) throw new ReportError(`${source} has no "results" array. ${notReport}`);
  const seen = new Set<string>();
  results.forEach((r: unknown, i) => {
    const at = `${source}: results[${i}]`;
    if (!isObj(r)) throw new ReportError(`${at} is not an object.`);
    if (typeof r['suite'] !== 'string' || !r['suite']) throw new ReportError(`${at} has no "suite" name.`);
    if (typeof r['name'] !== 'string' || !r['name']) throw new ReportError(`${at} (suite ${r['suite']}) has no case "name".`);
    const what = `${source}: ${r['suite']} "${r['name']}"`;
    if (!isTime(r['median_ms'])) throw new ReportError(`${what}: median_ms must be a number >= 0, not ${JSON.stringify(r['median_ms'])}.`);
    for (const f of ['min_ms', 'max_ms'] as const) {
      if (f in r && r[f] !== null && !isTime(r[f])) throw new ReportError(`${what}: ${f} must be a number >= 0, not ${JSON.stringify(r[f])}.`);
    }
    if (isTime(r['min_ms']) && isTime(r['max_ms']) && !(r['min_ms'] <= r['median_ms'] && r['median_ms'] <= r['max_ms'])) {
      throw new ReportError(`${what}: min_ms <= median_ms <= max_ms does not hold (${r['min_ms']}, ${r['median_ms']}, ${r['max_ms']}).`);
    }
    if ('samples' in r && !(Array.isArray(r['samples']) && r['samples'].every(isTime))) {
      throw new ReportError(`${what}: samples must be an array of times in ms.`);
    }
    const key = `${r['suite']}\u0000${r['name']}`;
    if (seen.has(key)) throw new ReportError(`${what} appears twice; case names must be unique within a suite.`);
    seen.add(key);
  });
  return data as unknown as BenchReport;
}

/** The one line that names the adapter: the report's own line, else one built from `adapter`. */
export function adapterLineOf(r: BenchReport): string {
  if (r.adapter_line) return r.adapter_line;
  const a = r.adapter;
  if (!a) return 'unknown adapter';
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
}

/** Where the report's timings ran: browser version or Dawn backend, with the runtime. */
export function runtimeLineOf(r: BenchReport): string {
  const rt = r.runtime ?? 'unknown runtime';
  if (r.browser) return `${rt}: ${r.browser}`;
  if (r.backend) return `${rt}: ${r.backend}`;
  return rt;
}
