/**
 * `baseline.transformersjs`: our engine against what a user would pick instead, transformers.js
 * (@huggingface/transformers, ONNX Runtime Web's WebGPU execution provider), on the same adapter, the same
 * model and the same prompts, as issue #5 asks:
 *   - single stream: one request, greedy, N new tokens after a short prompt
 *     (target: ours >= 5x transformers.js's decode tokens/s);
 *   - 16 concurrent: 16 requests of the same shape at once: 16 `model.generate()` calls in flight together
 *     (Promise.all) vs 16 requests submitted to our engine together (target: >= 20x in total).
 *
 * The model: stories260K from ../shared/models (when present) and the built-in playstories-0.9m, read by
 * our loaders and written out as an ONNX decoder with KV cache by baselines/onnx-llama.ts, which
 * transformers.js loads as a `llama` model (dtype fp32, device webgpu) from memory. Before anything is
 * timed, both sides generate the greedy continuation of the same prompt and must agree token for token
 * (the case fails naming the first differing position); every timed repetition checks it again for every
 * request. That run also compiles both sides' GPU pipelines, so no repetition pays for compilation (and our
 * engine runs its widest batch once more, untimed); `--warmup 0` is enough.
 *
 * Interleaving: one repetition runs both implementations back to back, alternating which goes first.
 * Each scenario is two cases, `..: serving-playground` and `..: transformers.js`; the first one's run()
 * does the paired work and returns our time, the second's returns transformers.js's time from the same
 * repetition (the runner gives both cases the same number of warm-up and timed repetitions, so sample i
 * of one belongs with sample i of the other). Run them together (a --case filter that names one must name
 * the other too).
 *
 * Timing: wall clock (performance.now) at submission and at each token's arrival (our engine's token
 * event, which may come while the next step runs on the GPU; transformers.js's streamer). A case's time
 * is the steady-state decode window: from the moment every request has its first token (all prefills
 * done) to the last token; prefill shows up separately as TTFT in params. params after the runs (medians over every run of the case, warm-up included; the
 * compile-time first run is the untimed correctness check): decode_tokens_per_s, ttft_ms_mean, e2e_ms,
 * e2e_tokens_per_s, tokens_per_step (tokens per distinct arrival time: 1 = one forward pass per token of one
 * request, i.e. the requests were served one at a time); on our case also speedup_decode (median over
 * repetitions of ours / theirs), its min and max, speedup_e2e, target_speedup and meets_target.
 *
 * transformers.js gets its own GPUDevice: ONNX Runtime requests an adapter from navigator.gpu itself.
 * Both run on the one adapter the browser offers (the `adapter` params say which each side got). Runs in a
 * browser page only (ONNX Runtime Web needs one); elsewhere the suite has no cases and says why.
 * --smoke: 2 concurrent requests of 2 tokens (stories260K where ../shared is, else the built-in model), still
 * through transformers.js for real, after a 4-token greedy check. Most of its ~30 s (idle 2-core machine) is
 * both sides compiling their GPU pipelines: our model load, and transformers.js's first generate().
 */
import { adapterLine, type GpuContext } from '../../gpu';
import { openModel } from '../../model';
import { collectFloat32 } from '../../model/weights';
import type { Tokenizer } from '../../model/tokenizer';
import { EngineSide } from '../baselines/engine-side';
import { exportLlamaOnnx, type OnnxExport } from '../baselines/onnx-llama';
import { assertSameTokens, median, timelineStats, type Timeline, type TimelineStats } from '../baselines/timeline';
import type { BenchCase, BenchContext, BenchSuite } from '../suite';

type TransformersSide = typeof import('../baselines/transformersjs');
type TransformersModel = Awaited<ReturnType<TransformersSide['loadTransformersModel']>>;

const ORT_WASM = 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm';
const OURS = 'serving-playground';
const THEIRS = 'transformers.js';

interface Scenario {
  streams: number;
  newTokens: number;
  target: number;
}

interface ModelSpec {
  key: string;
  dir: string;
  scenarios: Scenario[];
}

/**
 * stories260K, the model the issue names: 1 stream x 64 new tokens, and 16 concurrent x 16 new tokens each
 * (256 in all): transformers.js serves them one forward pass at a time, at ~4 tokens/s on this machine's
 * SwiftShader 16 x 64 would take over 4 minutes per repetition; 16 tokens each keeps one near a minute and
 * still gives our engine 15 decode steps. The built-in model (0.9 M parameters, ~2 tokens/s through
 * transformers.js here): 1 stream x 32 only, to keep the suite near 10 minutes on SwiftShader.
 */
const MODELS: ModelSpec[] = [
  {
    key: 'stories260K',
    dir: '../shared/models/stories260K',
    scenarios: [
      { streams: 1, newTokens: 64, target: 5 },
      { streams: 16, newTokens: 16, target: 20 },
    ],
  },
  { key: 'playstories-0.9m', dir: 'public/models/playstories-0.9m', scenarios: [{ streams: 1, newTokens: 32, target: 5 }] },
];
/** --smoke: 2 concurrent requests of 2 tokens, on stories260K where ../shared is, else the built-in model. */
const SMOKE: Scenario = { streams: 2, newTokens: 2, target: 20 };
const SMOKE_CHECK_TOKENS = 4;

/** Story openings; each is encoded with BOS and cut to the shortest one's length, so all prompts have one shape. */
const PROMPTS = [
  'Once upon a time',
  'One day, a little girl',
  'The sun was shining and',
  'Tom had a big red ball',
  'There was a small dog',
  'Lily wanted to play with',
  'In the park, a boy',
  'Mom said it was time',
  'A cat sat on the',
  'The bird flew over the',
  'Sam and Sue went to',
  'It was a rainy day',
  'The little fish swam in',
  'Ben found a shiny rock',
  'Once there was a tree',
  'A big bear lived in',
];

interface Loaded {
  key: string;
  ours: EngineSide;
  theirs: TransformersModel;
  tokenizer: Tokenizer;
  promptLen: number;
  prompts: number[][];
  onnx: OnnxExport;
}

const medianOf = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : -1);

async function loadModel(ctx: BenchContext, gpu: GpuContext, tjs: TransformersSide, wasm: ArrayBuffer, spec: ModelSpec, maxStreams: number, maxNew: number, checkTokens: number): Promise<Loaded | string> {
  const names = ['config.json', 'model.safetensors', 'tokenizer.json'];
  const bufs = await Promise.all(names.map((n) => ctx.fetchFile!(`${spec.dir}/${n}`)));
  if (bufs.some((b) => !b)) return `${spec.key}: ${spec.dir} is absent here`;
  const files = Object.fromEntries(names.map((n, i) => [n, bufs[i]!]));
  const loaded = await openModel(files);
  if (!loaded.tokenizer) return `${spec.key}: no tokenizer`;
  const tok = loaded.tokenizer;
  const c = loaded.weights.config;
  const encoded = PROMPTS.slice(0, maxStreams).map((p) => tok.encode(p, { bos: true }));
  const promptLen = Math.min(...encoded.map((e) => e.length));
  const prompts = encoded.map((e) => e.slice(0, promptLen));
  const t0 = performance.now();
  const onnx = exportLlamaOnnx(c, await collectFloat32(loaded.weights));
  const t1 = performance.now();
  const theirs = await tjs.loadTransformersModel(spec.key, onnx, { device: 'webgpu', wasmBinary: wasm });
  const t2 = performance.now();
  const ours = await EngineSide.create(gpu, loaded.weights, { maxConcurrent: maxStreams, maxLen: promptLen + Math.max(maxNew, checkTokens), maxPromptLen: promptLen });
  const t3 = performance.now();
  ctx.log(
    `${spec.key}: ONNX export ${(onnx.onnx.byteLength / 2 ** 20).toFixed(2)} MiB, ${onnx.numNodes} nodes, opset 17, in ${(t1 - t0).toFixed(0)} ms; ` +
      `transformers.js load (session + WebGPU EP) ${(t2 - t1).toFixed(0)} ms on ${theirs.adapterInfo ?? 'an adapter it did not name'}; our engine load ${(t3 - t2).toFixed(0)} ms; prompts of ${promptLen} tokens`,
  );
  // Correctness before any timing (and both sides' pipeline compilation, untimed): the same greedy continuation.
  const n = checkTokens;
  const a = await ours.run([prompts[0]!], n);
  const b = await tjs.generateTimed(theirs, prompts[0]!, n);
  assertSameTokens(`${spec.key} greedy check`, a.tokens, [b.tokens]);
  ctx.log(`${spec.key}: greedy continuation of ${JSON.stringify(PROMPTS[0])} (${n} tokens) is the same on both sides: ${JSON.stringify(tok.decode(a.tokens[0]!))}`);
  // Our engine's widest batch once, untimed, so no timed repetition is its first step at that width
  // (transformers.js runs every request at batch 1, the shapes the check above already ran).
  if (maxStreams > 1) await ours.run(prompts, 2);
  return { key: spec.key, ours, theirs, tokenizer: tok, promptLen, prompts, onnx };
}

function sideParams(p: BenchCase['params'], runs: TimelineStats[]): void {
  Object.assign(p, {
    runs: runs.length,
    decode_tokens_per_s: round(medianOf(runs, (r) => r.decodeTokensPerS), 2),
    decode_tokens: runs[0]?.decodeTokens ?? 0,
    ttft_ms_mean: round(medianOf(runs, (r) => r.ttftMeanMs), 1),
    ttft_ms_max: round(medianOf(runs, (r) => r.ttftMaxMs), 1),
    e2e_ms: round(medianOf(runs, (r) => r.e2eMs), 1),
    e2e_tokens_per_s: round(medianOf(runs, (r) => r.e2eTokensPerS), 2),
    tokens_per_step: round(medianOf(runs, (r) => r.tokensPerStep), 2),
  });
}

function scenarioCases(ctx: BenchContext, gpu: GpuContext, tjs: TransformersSide, m: Loaded, s: Scenario): BenchCase[] {
  const prompts = m.prompts.slice(0, s.streams);
  const label = `${m.key} ${s.streams === 1 ? '1 stream' : `${s.streams} concurrent`} x${s.newTokens} tokens`;
  const common = { model: m.key, streams: s.streams, new_tokens: s.newTokens, prompt_tokens: m.promptLen, device: 'webgpu', dtype: 'f32', greedy: true, ignore_eos: true };
  const oursParams: BenchCase['params'] = { ...common, implementation: OURS, adapter: adapterLine(gpu.info), target_speedup: s.target };
  const theirsParams: BenchCase['params'] = { ...common, implementation: THEIRS, adapter: m.theirs.adapterInfo ?? 'unknown', onnx_nodes: m.onnx.numNodes, opset: 17 };
  const oursRuns: TimelineStats[] = [];
  const theirsRuns: TimelineStats[] = [];
  let replayed = 0;

  const runTheirs = async (): Promise<Timeline> => {
    const gens = await Promise.all(prompts.map((p) => tjs.generateTimed(m.theirs, p, s.newTokens)));
    return { tokens: gens.map((g) => g.tokens), times: gens.map((g) => g.tokenTimes), startMs: Math.min(...gens.map((g) => g.startMs)), endMs: Math.max(...gens.map((g) => g.endMs)) };
  };

  const ours: BenchCase = {
    name: `${label}: ${OURS}`,
    params: oursParams,
    async run() {
      const oursFirst = oursRuns.length % 2 === 0;
      let a: Timeline;
      let b: Timeline;
      if (oursFirst) {
        a = await m.ours.run(prompts, s.newTokens);
        b = await runTheirs();
      } else {
        b = await runTheirs();
        a = await m.ours.run(prompts, s.newTokens);
      }
      assertSameTokens(label, a.tokens, b.tokens);
      const sa = timelineStats(a);
      const sb = timelineStats(b);
      oursRuns.push(sa);
      theirsRuns.push(sb);
      sideParams(oursParams, oursRuns);
      sideParams(theirsParams, theirsRuns);
      const ratios = oursRuns.map((r, i) => r.decodeTokensPerS / theirsRuns[i]!.decodeTokensPerS);
      const speedup = median(ratios);
      Object.assign(oursParams, {
        speedup_decode: round(speedup, 2),
        speedup_decode_min: round(Math.min(...ratios), 2),
        speedup_decode_max: round(Math.max(...ratios), 2),
        speedup_e2e: round(median(oursRuns.map((r, i) => r.e2eTokensPerS / theirsRuns[i]!.e2eTokensPerS)), 2),
        meets_target: speedup >= s.target,
      });
      return { ms: sa.decodeMs, method: 'wall-clock' };
    },
    dispose() {
      const o = oursParams;
      const t = theirsParams;
      if (oursRuns.length) {
        ctx.log(
          `${label}: decode ${o['decode_tokens_per_s']} vs ${t['decode_tokens_per_s']} tokens/s (ours / transformers.js) = ${o['speedup_decode']}x ` +
            `(${o['speedup_decode_min']}-${o['speedup_decode_max']}x over ${oursRuns.length} runs; target ${s.target}x); TTFT mean ${o['ttft_ms_mean']} vs ${t['ttft_ms_mean']} ms; ` +
            `end to end ${o['e2e_tokens_per_s']} vs ${t['e2e_tokens_per_s']} tokens/s; tokens per step ${o['tokens_per_step']} vs ${t['tokens_per_step']}`,
        );
      }
    },
  };
  const theirs: BenchCase = {
    name: `${label}: ${THEIRS}`,
    params: theirsParams,
    async run() {
      const r = theirsRuns[replayed++];
      if (!r) throw new Error(`"${label}: ${THEIRS}" replays the transformers.js half of "${label}: ${OURS}"'s runs; select both cases (e.g. --case "${label}")`);
      return { ms: r.decodeMs, method: 'wall-clock' };
    },
  };
  return [ours, theirs];
}

export const baselineTransformersjsSuite: BenchSuite = {
  name: 'baseline.transformersjs',
  description: 'Our engine vs transformers.js (ONNX Runtime Web, WebGPU) on the same adapter and model (stories260K, built-in): greedy decode tokens/s, 1 stream and 16 concurrent, interleaved; greedy outputs checked equal',
  needsGpu: true,
  async cases(ctx) {
    const gpu = ctx.gpu!;
    if (typeof document === 'undefined' || typeof navigator === 'undefined' || !navigator.gpu) {
      ctx.log('baseline.transformersjs: ONNX Runtime Web needs a browser page; no cases on this host');
      return [];
    }
    if (!ctx.fetchFile) {
      ctx.log('baseline.transformersjs: this host serves no files (model, ONNX Runtime wasm); no cases');
      return [];
    }
    const wasm = await ctx.fetchFile(ORT_WASM);
    if (!wasm) throw new Error(`baseline.transformersjs: ${ORT_WASM} is missing (npm ci installs it with @huggingface/transformers)`);
    // Imported here, not at the top: transformers.js and ONNX Runtime load only when this suite runs in a browser.
    const tjs: TransformersSide = await import('../baselines/transformersjs');
    const out: BenchCase[] = [];
    let specs = MODELS;
    if (ctx.smoke) {
      const have = await ctx.fetchFile(`${MODELS[0]!.dir}/config.json`);
      specs = [{ ...(have ? MODELS[0]! : MODELS[1]!), scenarios: [SMOKE] }];
    }
    for (const spec of specs) {
      const maxStreams = Math.max(...spec.scenarios.map((s) => s.streams));
      const maxNew = Math.max(...spec.scenarios.map((s) => s.newTokens));
      const m = await loadModel(ctx, gpu, tjs, wasm, spec, maxStreams, maxNew, ctx.smoke ? SMOKE_CHECK_TOKENS : maxNew);
      if (typeof m === 'string') {
        ctx.log(`baseline.transformersjs: ${m}; skipped`);
        continue;
      }
      const cases = spec.scenarios.flatMap((s) => scenarioCases(ctx, gpu, tjs, m, s));
      // Both sides' models are released when the last of their cases is disposed (run or filtered out).
      let live = cases.length;
      for (const c of cases) {
        const own = c.dispose?.bind(c);
        c.dispose = () => {
          own?.();
          if (--live === 0) {
            m.ours.dispose();
            void m.theirs.dispose();
          }
        };
      }
      out.push(...cases);
    }
    return out;
  },
};
