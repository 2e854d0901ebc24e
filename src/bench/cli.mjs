#!/usr/bin/env node
// `npm run bench -- [options]`: runs the benchmark suites in Chrome (default) or in Node on Dawn,
// prints a table and writes versioned JSON. See README.md, "Benchmarks".
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { needsVulkanLoaderReexec, openPage, reexecWithVulkanLoader, ROOT, SHARED_MODELS } from './browser-page.mjs';
import { compareReports, formatMarkdown, parseThreshold, reportProblem } from './compare.mjs';

export const SCHEMA_VERSION = 1;

const USAGE = `Usage: npm run bench -- [options]
  --suite NAMES        comma-separated suites, or "all" (default: all)
  --runtime R          browser (Chrome through Playwright, default) | node (Dawn, the "webgpu" package)
  --adapter A          auto (default) | hardware | swiftshader
  --out FILE           write JSON results here (default: bench/out/<runtime>-<adapter>.json), and a
                       markdown summary beside it (FILE with .md)
  --baseline OLD.json  compare with an earlier report: ratio per case; exit 4 on a regression
  --threshold T        change that counts as a regression or improvement (default 5%)
  --chrome PATH        Chrome/Chromium executable (default: $CHROME_PATH, then the usual places)
  --warmup N           untimed repetitions per case (default 2)
  --reps N             timed repetitions per case, at least 5 (default 7)
  --case TEXT          comma-separated: run only the cases whose name contains one of these
  --smoke              one tiny case per suite (what CI runs)
  --list               list the suites and exit
  -h, --help           this text`;

/** Parses and checks the CLI's arguments; throws an Error whose message is meant for the user. */
export function parseBenchArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        suite: { type: 'string', default: 'all' },
        runtime: { type: 'string', default: 'browser' },
        adapter: { type: 'string', default: process.env['WEBGPU_ADAPTER'] ?? 'auto' },
        out: { type: 'string' },
        baseline: { type: 'string' },
        threshold: { type: 'string', default: '5%' },
        chrome: { type: 'string' },
        warmup: { type: 'string', default: '2' },
        reps: { type: 'string', default: '7' },
        smoke: { type: 'boolean', default: false },
        case: { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new Error(`${e.message}\n\n${USAGE}`);
  }
  if (!['browser', 'node'].includes(values.runtime)) throw new Error(`--runtime must be browser or node, not "${values.runtime}".`);
  if (!['auto', 'hardware', 'swiftshader'].includes(values.adapter)) {
    throw new Error(`--adapter must be auto, hardware or swiftshader, not "${values.adapter}".`);
  }
  const warmup = Number(values.warmup);
  const reps = Number(values.reps);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a whole number >= 0, not "${values.warmup}".`);
  if (!Number.isInteger(reps) || reps < 5) throw new Error(`--reps must be a whole number >= 5 (medians of fewer runs mislead), not "${values.reps}".`);
  if (values.chrome && !existsSync(values.chrome)) throw new Error(`--chrome ${values.chrome}: no such file.`);
  let baseline = null;
  if (values.baseline) {
    if (!existsSync(values.baseline)) throw new Error(`--baseline ${values.baseline}: no such file.`);
    try {
      baseline = JSON.parse(readFileSync(values.baseline, 'utf8'));
    } catch (e) {
      throw new Error(`--baseline ${values.baseline}: not a JSON report (${e.message}).`);
    }
    const problem = reportProblem(baseline);
    if (problem) throw new Error(`--baseline ${values.baseline}: ${problem}.`);
  }
  const threshold = parseThreshold(values.threshold);
  const suites = values.suite === 'all' ? 'all' : values.suite.split(',').map((s) => s.trim()).filter(Boolean);
  if (suites !== 'all' && suites.length === 0) throw new Error('--suite needs at least one name.');
  const cases = values.case === undefined ? undefined : values.case.split(',').map((s) => s.trim()).filter(Boolean);
  if (cases !== undefined && cases.length === 0) throw new Error('--case needs at least one name fragment.');
  return { ...values, suites, cases, warmup, reps, baselineReport: baseline, thresholdFraction: threshold };
}

function gitCommit() {
  try {
    const sha = execSync('git rev-parse HEAD', { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execSync('git status --porcelain', { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

function fmt(n, digits = 3) {
  if (n === undefined || !Number.isFinite(n)) return '';
  return n >= 100 ? n.toFixed(1) : n.toPrecision(digits);
}

export function formatTable(results) {
  const rows = [['suite', 'case', 'median ms', 'min ms', 'max ms', 'GFLOP/s', 'GB/s', 'timing']];
  for (const r of results) {
    rows.push([r.suite, r.name, fmt(r.median_ms), fmt(r.min_ms), fmt(r.max_ms), fmt(r.gflops), fmt(r.gbps), r.method]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  return rows.map((row, i) => {
    const line = row.map((cell, c) => (c >= 2 && c <= 6 ? String(cell).padStart(widths[c]) : String(cell).padEnd(widths[c]))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

const progress = (msg) => process.stderr.write(`${msg}\n`);

async function runInBrowser(opts, runOpts) {
  // The page reads model files (the model suite) through Vite's /@fs/ route: the repository and ../shared/models.
  const allow = existsSync(SHARED_MODELS) ? [SHARED_MODELS] : [];
  const p = await openPage({ pagePath: 'bench.html', adapter: opts.adapter, chrome: opts.chrome, allow, log: (m) => progress(`  ${m}`) });
  try {
    const { page, errors } = p;
    const names = runOpts.suites === 'all' ? await page.evaluate(() => window.benchSuites()) : runOpts.suites;
    const result = await page.evaluate((o) => window.runBench(o), { ...runOpts, suites: names, fileRoot: `/@fs${ROOT}/` });
    if (errors.length) throw new Error(`benchmark page errors: ${errors.join('; ')}`);
    return { ...result, browser: p.browserVersion, requestedAdapter: p.adapter, backend: 'chrome' };
  } finally {
    await p.close();
  }
}

/** Reads a file of the repository (or ../shared) for the suites in Node; null when it does not exist. */
async function readRepoFile(path) {
  const abs = resolve(ROOT, path);
  if (!existsSync(abs)) return null;
  const b = readFileSync(abs);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

/**
 * Loads src/bench/host.ts in Node: through Vite's SSR loader (the same plugins, WGSL as strings, as the
 * page), or, on a GPU server without node_modules, from the bundle SP_BENCH_HOST_BUNDLE names
 * (`npm run bench:bundle`). Returns the module and a close function.
 */
async function loadHost() {
  const bundle = process.env['SP_BENCH_HOST_BUNDLE'];
  if (bundle) return { host: await import(resolve(bundle)), close: async () => {} };
  const server = await (await import('vite')).createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'error', server: { middlewareMode: true, hmr: false } });
  try {
    return { host: await server.ssrLoadModule('/src/bench/host.ts'), close: () => server.close() };
  } catch (e) {
    await server.close();
    throw e;
  }
}

/** `--list`: the registered suites with their descriptions, without starting a browser or a GPU. */
async function listSuites() {
  const { host, close } = await loadHost();
  try {
    return host.selectSuites(host.suiteNames()).map((/** @type {{ name: string, description: string }} */ s) => `${s.name.padEnd(20)} ${s.description}`);
  } finally {
    await close();
  }
}

async function runInNode(opts, runOpts) {
  const { nodeGpu } = await import('./node-gpu.mjs');
  // Vite's SSR loader runs the TypeScript suites in Node with the same plugins (WGSL as strings) as the
  // page. On a GPU server without node_modules, SP_BENCH_HOST_BUNDLE names a prebuilt bundle
  // (`npm run bench:bundle`) instead.
  const bundle = process.env['SP_BENCH_HOST_BUNDLE'];
  const server = bundle
    ? undefined
    : await (await import('vite')).createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'error', server: { middlewareMode: true, hmr: false } });
  try {
    const host = bundle ? await import(resolve(bundle)) : await server.ssrLoadModule('/src/bench/host.ts');
    const names = runOpts.suites === 'all' ? host.suiteNames() : runOpts.suites;
    const g = await nodeGpu(opts.adapter);
    progress(`  Dawn backend: ${g.backend} (${g.featureLevel})`);
    const result = await host.runOnHost(g.gpu, { ...runOpts, suites: names, acquire: { featureLevel: g.featureLevel } }, (m) => progress(`  ${m}`), (d, t, l) => progress(`  [${d}/${t}] ${l}`), readRepoFile);
    return { ...result, browser: null, requestedAdapter: g.adapter, backend: `dawn-${g.backend}` };
  } finally {
    await server?.close();
  }
}

async function main() {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${e.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  if (opts.list) {
    // Listing needs neither a browser nor a GPU (it used to run every suite first).
    console.log((await listSuites()).join('\n'));
    return;
  }
  if (opts.runtime === 'node' && needsVulkanLoaderReexec()) reexecWithVulkanLoader();
  const runOpts = { suites: opts.suites, warmup: opts.warmup, repetitions: opts.reps, smoke: opts.smoke, ...(opts.cases ? { cases: opts.cases } : {}) };
  const started = Date.now();
  progress(`bench: runtime ${opts.runtime}, adapter ${opts.adapter}, suites ${opts.suites === 'all' ? 'all' : opts.suites.join(',')}${opts.smoke ? ' (smoke)' : ''}`);
  const run = opts.runtime === 'node' ? await runInNode(opts, runOpts) : await runInBrowser(opts, runOpts);
  if (opts.adapter === 'hardware' && run.adapter?.isSoftware) {
    console.error(`bench: --adapter hardware, but the browser gave a software adapter (${run.adapterLine}); refusing to report its numbers as GPU numbers.`);
    process.exit(3);
  }
  const report = {
    schema: SCHEMA_VERSION,
    date: new Date().toISOString(),
    git_commit: gitCommit(),
    runtime: opts.runtime,
    backend: run.backend,
    adapter: run.adapter,
    adapter_line: run.adapterLine,
    features: run.features,
    timing_method: run.timing,
    browser: run.browser,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} x${os.cpus().length}`,
    node: process.version,
    config: { suites: opts.suites, ...(opts.cases ? { cases: opts.cases } : {}), warmup: opts.warmup, repetitions: opts.reps, smoke: opts.smoke, adapter_requested: opts.adapter },
    wall_s: (Date.now() - started) / 1000,
    results: run.results,
  };
  const out = resolve(opts.out ?? `bench/out/${opts.runtime}-${run.adapter?.isSoftware ? 'software' : 'gpu'}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const comparison = opts.baselineReport ? compareReports(report, opts.baselineReport, opts.thresholdFraction) : null;
  const mdPath = out.replace(/\.json$/, '') + '.md';
  writeFileSync(mdPath, formatMarkdown(report, comparison, opts.thresholdFraction, opts.baselineReport));
  console.log(`adapter: ${run.adapterLine}${run.browser ? `; browser ${run.browser}` : `; ${run.backend}`}`);
  console.log(formatTable(run.results));
  if (comparison) {
    if (comparison.adapterMismatch) console.log(`\nnote: the baseline ran on ${opts.baselineReport.adapter_line}; ratios compare machines, not commits.`);
    console.log(`\nagainst ${opts.baseline} (threshold ${(opts.thresholdFraction * 100).toFixed(1)}%):`);
    for (const r of comparison.rows) {
      console.log(`  ${r.status.padEnd(9)} ${r.suite}: ${r.name}${r.ratio === null ? '' : ` ${r.ratio.toFixed(2)}x time`}`);
    }
  }
  console.log(`\nwrote ${out} and ${mdPath} (${report.wall_s.toFixed(1)} s)`);
  if (comparison && comparison.numRegressed > 0) {
    console.error(`bench: ${comparison.numRegressed} case(s) regressed past ${(opts.thresholdFraction * 100).toFixed(1)}%.`);
    process.exit(4);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`bench: ${e?.stack ?? e}`);
    process.exit(1);
  });
}
