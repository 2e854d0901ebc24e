/**
 * `kernels.matmul`: GFLOP/s of our matmul (src/kernels/matmul.ts) against TensorFlow.js's WebGPU backend
 * (`tf.matMul`) on the issue's shapes, f32 and packed-f16 weights, run side by side on one device.
 *
 * For each shape, three cases whose repetitions run round-robin (each repetition of the first case runs
 * one repetition of all three, the order rotating, and the other two cases report those samples), so all
 * three see the same moments of a noisy machine:
 *   `... ours f32`    our kernel; each repetition records `inner` dispatches in one timed pass and reads y
 *                     back, so it is timed two ways at once: GPU timestamps per dispatch (the case's ms)
 *                     and wall clock from encoding to y on the CPU (params wall_median_ms, wall_gflops)
 *   `... ours f16`    the same with packed-f16 weights
 *   `... tfjs f32 wall`  tf.matMul(x, W, false, true) `inner` times, then `await data()` (reads y back)
 * The tfjs case's params carry the speed ratios ours/tfjs: per round, tfjs ms ÷ our ms, then the median
 * over the last 5 rounds (timed repetitions), wall against wall (the like-for-like figure) and our
 * timestamps against tfjs wall; the suite logs them too. tfjs has no f16 weights: the f16 ratios compare
 * against its f32 product. GB/s columns are effective weight reads (W bytes / time).
 *
 * Before timing, every variant that runs here (and a forced split-K) is checked against the f64 reference
 * (a benchmark of a wrong kernel is worse than none). On hardware adapters the suite adds 2048³,
 * 1×4096×4096 and the mid-size prefill shapes 128/512×4096×4096, forced-variant cases (`variant ...`)
 * around the skinny/tiled boundary, and forced split-K cases (`split S=...`, S = 1 being the choice before
 * split-K existed) on the shapes whose 128 × 128 grid is small, also with 64 × 64 tiles (`split64 ...`);
 * on software adapters it times the hardware config against SOFTWARE_CONFIG on two shapes (`config ...`).
 *
 * Where tfjs cannot be loaded (the Node/Dawn bundle on a GPU server has no node_modules) its cases are
 * left out and the log says so.
 */
import { median } from '../../metrics/stats';
import { GpuTimer, PipelineCache, createBuffer, readBuffer, storageBuffer, type GpuContext } from '../../gpu';
import {
  HARDWARE_CONFIG,
  MatmulKernel,
  SOFTWARE_CONFIG,
  matmulKStride,
  matmulReference,
  matmulWeightBytes,
  matmulWeightData,
  padRows,
  variantUnsupported,
  type MatmulVariant,
  type MatmulWeightType,
} from '../../kernels/matmul';
import { packF16Rows, unpackF16Rows } from '../../kernels/f16';
import type { BenchCase, BenchContext, BenchSample, BenchSuite } from '../suite';

type Shape = [number, number, number];

const ISSUE_SHAPES: Shape[] = [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [1, 2048, 2048],
  [8, 2048, 2048],
  [32, 2048, 2048],
  [128, 768, 768],
];
const HARDWARE_SHAPES: Shape[] = [
  [2048, 2048, 2048],
  [1, 4096, 4096],
  [128, 4096, 4096],
  [512, 4096, 4096],
];
/** Hardware only: shapes whose 128 × 128 tiled grid is under 132 workgroups, timed at forced split-K slices. */
const SPLIT_SHAPES: Shape[] = [
  [128, 4096, 4096],
  [256, 4096, 4096],
  [512, 4096, 4096],
  [128, 4096, 14336],
  [1024, 1024, 1024],
  [512, 512, 512],
  [128, 768, 768],
];
const SPLITS = [1, 2, 4, 8, 16];
/** A 64 × 64 tile (16 × 16 threads, 4 × 4 each; 25.7 TFLOP/s at 2048³ on the H200): more, smaller workgroups. */
const TILE64_CONFIG = { ...HARDWARE_CONFIG, name: 'hardware with tiled 64x64 (16x16 threads, 4x4 each, BK 8)', tiled: { wgx: 16, wgy: 16, tm: 4, tn: 4, bk: 8 } };
/** Decode shapes of the skinny workgroup-size cases. */
const SKINNY_SHAPES: Shape[] = [[1, 2048, 2048], [8, 2048, 2048], [32, 2048, 2048], [1, 4096, 4096], [64, 2048, 2048]];

const shapeName = ([M, N, K]: Shape) => `${M}x${N}x${K}`;

/** Deterministic pseudo-random fill (values in [-1, 1)); fast enough for 16M values. */
function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Dispatches per timed repetition: enough work per sample that launch overhead and timer resolution vanish. */
function innerReps(gpu: GpuContext, flops: number): number {
  if (gpu.info.isSoftware) return 1;
  return Math.max(1, Math.min(50, Math.ceil(2e10 / flops)));
}

/** Medians of recorded samples, for the ratios (the last 5: timed repetitions, never warm-up). */
function recentMedian(samples: number[]): number {
  return median(samples.slice(-5));
}

interface OursCase {
  kernel: MatmulKernel;
  x: GPUBuffer;
  w: GPUBuffer;
  y: GPUBuffer;
  readback: GPUBuffer;
  shape: Shape;
  weightType: MatmulWeightType;
  variant?: MatmulVariant;
  splitK?: number;
}

/** x, W (in the layout of `weightType`), y and a readback buffer for one shape, filled with fixed pseudo-random data. */
function makeBuffers(gpu: GpuContext, shape: Shape, weightType: MatmulWeightType) {
  const { device } = gpu;
  const [M, N, K] = shape;
  const KP = matmulKStride(K, weightType);
  const x = storageBuffer(device, 'MatmulBench.x', padRows(fill(M * K, 1), M, K, KP));
  const w = storageBuffer(device, 'MatmulBench.w', matmulWeightData(fill(N * K, 2), N, K, weightType));
  const y = storageBuffer(device, 'MatmulBench.y', M * N * 4);
  const readback = createBuffer(device, { label: 'MatmulBench.readback', size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return { x, w, y, readback };
}

function makeOurs(gpu: GpuContext, kernel: MatmulKernel, shape: Shape, weightType: MatmulWeightType, variant?: MatmulVariant, splitK?: number): OursCase {
  return { kernel, ...makeBuffers(gpu, shape, weightType), shape, weightType, ...(variant ? { variant } : {}), ...(splitK ? { splitK } : {}) };
}

function encodeOurs(pass: GPUComputePassEncoder, o: OursCase, inner: number): MatmulVariant {
  const [M, N, K] = o.shape;
  let v: MatmulVariant | undefined;
  for (let i = 0; i < inner; i++) {
    const d = o.kernel.encode(pass, { x: o.x, w: o.w, y: o.y, M, N, K, weightType: o.weightType, ...(o.variant ? { variant: o.variant } : {}), ...(o.splitK ? { splitK: o.splitK } : {}) });
    v = d!.variant;
  }
  return v!;
}

function destroyOurs(o: OursCase): void {
  for (const b of [o.x, o.w, o.y, o.readback]) b.destroy();
}

/**
 * One repetition of our kernel, timed two ways at once: GPU timestamps around a pass of `inner`
 * dispatches (or the timer's wall-clock fallback), and wall clock from encoding to y read back on the
 * CPU (mapAsync), which is how tfjs is timed. Returns the timestamp figure; `wall` gets the other.
 */
function oursRun(gpu: GpuContext, o: OursCase, timer: GpuTimer, inner: number, wall?: (ms: number) => void): () => Promise<BenchSample> {
  const [M, N] = o.shape;
  return async () => {
    const t0 = performance.now();
    const enc = gpu.device.createCommandEncoder({ label: 'MatmulBench.encoder' });
    timer.begin();
    const pass = enc.beginComputePass(timer.pass('matmul'));
    encodeOurs(pass, o, inner);
    pass.end();
    timer.end(enc);
    enc.copyBufferToBuffer(o.y, 0, o.readback, 0, M * N * 4);
    gpu.device.queue.submit([enc.finish()]);
    await o.readback.mapAsync(GPUMapMode.READ);
    o.readback.unmap();
    wall?.((performance.now() - t0) / inner);
    const t = await timer.read();
    return { ms: t.totalMs / inner, method: t.method };
  };
}

/** Minimal view of the tfjs API we use (the package is a devDependency, loaded dynamically). */
interface Tf {
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor;
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  removeBackend(name: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
}
interface TfTensor {
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}

/** tfjs's WebGPU backend on OUR device (so both run on one adapter), or the reason it is unavailable. */
async function loadTfjs(gpu: GpuContext): Promise<Tf | string> {
  try {
    const tf = (await import('@tensorflow/tfjs-core')) as unknown as Tf;
    const webgpu = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as { WebGPUBackend: new (d: GPUDevice, info?: unknown) => unknown };
    // tfjs registers its kernels under the backend name 'webgpu': replace that backend's factory (which
    // would request its own adapter and device) with one wrapping our device.
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(gpu.device, gpu.adapter.info), 0);
    if (!(await tf.setBackend('webgpu'))) return 'tf.setBackend("webgpu") failed';
    await tf.ready();
    return tf;
  } catch (e) {
    return `could not load tfjs here (${(e as Error).message})`;
  }
}

/** Checks every runnable variant × weight type against the reference on small awkward shapes; throws on a mismatch. */
async function verify(gpu: GpuContext, kernel: MatmulKernel, log: (m: string) => void): Promise<void> {
  const { device } = gpu;
  const shapes: Shape[] = [[1, 300, 264], [8, 300, 264], [100, 300, 264]];
  const variants: MatmulVariant[] = ['tiled', 'skinny', 'skinny-subgroup', 'skinny-f16'];
  const checked: string[] = [];
  for (const weightType of ['f32', 'f16'] as MatmulWeightType[]) {
    for (const shape of shapes) {
      const [M, N, K] = shape;
      const xv = fill(M * K, 5);
      const wv = fill(N * K, 6);
      const wRef = weightType === 'f16' ? unpackF16Rows(packF16Rows(wv, N, K), N, K) : wv;
      const want = matmulReference(xv, wRef, M, N, K);
      for (const [variant, split] of [...variants.map((v) => [v, 0] as const), ['tiled', 3] as const]) {
        if (variantUnsupported(variant, M, weightType, kernel.features)) continue;
        const KP = matmulKStride(K, weightType);
        const x = storageBuffer(device, 'MatmulBench.verify.x', padRows(xv, M, K, KP));
        const w = storageBuffer(device, 'MatmulBench.verify.w', matmulWeightData(wv, N, K, weightType));
        const y = storageBuffer(device, 'MatmulBench.verify.y', M * N * 4);
        const enc = device.createCommandEncoder({ label: 'MatmulBench.verify' });
        const pass = enc.beginComputePass({ label: 'MatmulBench.verify' });
        kernel.encode(pass, { x, w, y, M, N, K, weightType, variant, ...(split ? { splitK: split } : {}) });
        pass.end();
        device.queue.submit([enc.finish()]);
        const got = new Float32Array(await readBuffer(device, y, M * N * 4));
        for (const b of [x, w, y]) b.destroy();
        const tol = variant === 'skinny-f16' ? 5e-2 : 1e-3;
        let bad = 0;
        let first = '';
        for (let i = 0; i < want.length; i++) {
          const err = Math.abs(got[i]! - want[i]!);
          if (!(err <= tol + tol * Math.abs(want[i]!))) {
            if (!bad) first = `[${i}] got ${got[i]}, want ${want[i]}`;
            bad++;
          }
        }
        if (bad) throw new Error(`kernels.matmul: ${variant} ${weightType} ${shapeName(shape)} is wrong: ${bad} mismatches, first ${first}`);
        checked.push(`${variant}${split ? ` split ${split}` : ''}/${weightType}/M=${M}`);
      }
    }
  }
  kernel.clearBindGroups();
  log(`matmul verified against the f64 reference (${kernel.config.name}): ${checked.join(', ')}`);
}

/**
 * Hardware only: forced skinny-subgroup against tiled where M is past 16, to document the skinnyMaxM
 * boundary of HARDWARE_CONFIG. (The tile-config sweep that chose HARDWARE_CONFIG is recorded in
 * bench/results/kernels-matmul-h200-configs.json.)
 */
const CROSSOVER_SHAPES: Shape[] = [
  [32, 2048, 2048],
  [64, 2048, 2048],
  [128, 768, 768],
  [128, 4096, 4096],
];

/** A timestamp-timed case of one kernel on one shape (config, variant and split comparisons). */
function timedCase(gpu: GpuContext, k: MatmulKernel, shape: Shape, weightType: MatmulWeightType, name: string, extra: BenchCase['params'], variant?: MatmulVariant, splitK?: number): BenchCase {
  const [M, N, K] = shape;
  const flops = 2 * M * N * K;
  const inner = innerReps(gpu, flops);
  let o: OursCase | undefined;
  let timer: GpuTimer | undefined;
  const v = variant ?? k.choose(M, N, K, weightType);
  const split = v === 'tiled' ? k.splitFor(M, N, K, weightType, splitK) : { S: 1, KS: matmulKStride(K, weightType) };
  return {
    name,
    params: { M, N, K, inner, weightType, variant: v, split: split.S, slice_k: split.KS, ...extra },
    work: { flops, bytes: matmulWeightBytes(N, K, weightType) },
    run: () => oursRun(gpu, (o ??= makeOurs(gpu, k, shape, weightType, variant, splitK)), (timer ??= new GpuTimer(gpu, 1)), inner)(),
    dispose: () => {
      if (o) destroyOurs(o);
      o = undefined;
      timer?.destroy();
      k.clearBindGroups();
    },
  };
}

export const kernelsMatmulSuite: BenchSuite = {
  name: 'kernels.matmul',
  description:
    'y = x·W^T, GFLOP/s of our matmul (f32 and packed-f16 W; automatic variant) vs tfjs tf.matMul, interleaved per shape; GB/s = effective weight reads',
  needsGpu: true,
  async cases(ctx: BenchContext): Promise<BenchCase[]> {
    const gpu = ctx.gpu!;
    const cache = new PipelineCache(gpu.device);
    const kernel = new MatmulKernel(gpu, cache);
    ctx.log(`matmul config for this adapter: ${kernel.config.name}`);
    const cases: BenchCase[] = [];

    if (ctx.smoke) {
      const o = makeOurs(gpu, kernel, [8, 64, 64], 'f32');
      const timer = new GpuTimer(gpu, 1);
      return [{
        name: 'matmul 8x64x64 ours f32 gpu-ts',
        params: { M: 8, N: 64, K: 64, weightType: 'f32', impl: 'ours' },
        work: { flops: 2 * 8 * 64 * 64, bytes: matmulWeightBytes(64, 64, 'f32') },
        run: oursRun(gpu, o, timer, 1),
        dispose: () => { destroyOurs(o); timer.destroy(); },
      }];
    }

    await verify(gpu, kernel, ctx.log);
    const tf = await loadTfjs(gpu);
    if (typeof tf === 'string') ctx.log(`tfjs cases left out: ${tf}`);
    else ctx.log(`tfjs ${tf.getBackend()} backend, on our device`);

    const shapes = gpu.info.isSoftware ? ISSUE_SHAPES : [...ISSUE_SHAPES, ...HARDWARE_SHAPES];
    for (const shape of shapes) {
      const [M, N, K] = shape;
      const flops = 2 * M * N * K;
      const inner = innerReps(gpu, flops);
      const base = { M, N, K, inner };
      // One repetition of each implementation. Buffers and tensors are made on first use and freed in the
      // disposes, so one shape's are live at a time.
      type Impl = 'f32' | 'f16' | 'tfjs';
      const impls: Impl[] = typeof tf === 'string' ? ['f32', 'f16'] : ['f32', 'f16', 'tfjs'];
      const ours: Partial<Record<Impl, { o: OursCase; timer: GpuTimer }>> = {};
      const wall: Record<Impl, number[]> = { f32: [], f16: [], tfjs: [] };
      let a: TfTensor | undefined;
      let b: TfTensor | undefined;
      const runOnce = async (impl: Impl): Promise<BenchSample> => {
        if (impl === 'tfjs') {
          const t = tf as Tf;
          a ??= t.tensor2d(fill(M * K, 1), [M, K]);
          b ??= t.tensor2d(fill(N * K, 2), [N, K]);
          const t0 = performance.now();
          let c: TfTensor | undefined;
          for (let i = 0; i < inner; i++) {
            c?.dispose();
            c = t.matMul(a, b, false, true);
          }
          await c!.data();
          c!.dispose();
          const ms = (performance.now() - t0) / inner;
          wall.tfjs.push(ms);
          return { ms, method: 'wall-clock' };
        }
        const st = (ours[impl] ??= { o: makeOurs(gpu, kernel, shape, impl), timer: new GpuTimer(gpu, 1) });
        return oursRun(gpu, st.o, st.timer, inner, (ms) => wall[impl].push(ms))();
      };
      // Round-robin: the first case's repetition runs one repetition of every implementation (the order
      // rotating from round to round) and queues the others' samples; the other cases return those (or run
      // themselves when the first case was filtered out). So the three see the same machine moments.
      interface Round { ts: Partial<Record<Impl, BenchSample>>; wall: Partial<Record<Impl, number>> }
      const rounds: Round[] = [];
      const queued: Record<Impl, BenchSample[]> = { f32: [], f16: [], tfjs: [] };
      const round = async (): Promise<BenchSample> => {
        const r: Round = { ts: {}, wall: {} };
        for (let i = 0; i < impls.length; i++) {
          const impl = impls[(i + rounds.length) % impls.length]!;
          r.ts[impl] = await runOnce(impl);
          r.wall[impl] = wall[impl].at(-1)!;
        }
        rounds.push(r);
        for (const impl of impls) if (impl !== 'f32') queued[impl].push(r.ts[impl]!);
        return r.ts.f32!;
      };
      const take = (impl: Impl) => async () => queued[impl].shift() ?? runOnce(impl);
      /** Median over the last 5 rounds of tfjs ms ÷ ours ms, both from the same round. */
      const pairedRatio = (oursMs: (r: Round) => number | undefined) =>
        recentMedian(rounds.slice(-5).map((r) => r.wall.tfjs! / oursMs(r)!).filter(Number.isFinite));
      // Freed after the last of the shape's cases is disposed (the runner disposes unselected cases unrun, maybe first).
      let disposals = 0;
      const numCases = impls.length;
      const freeShape = () => {
        if (++disposals < numCases) return;
        for (const st of Object.values(ours)) {
          destroyOurs(st.o);
          st.timer.destroy();
        }
        a?.dispose();
        b?.dispose();
        kernel.clearBindGroups();
      };
      const timing = 'gpu-timestamp; wall_ms: submit to readback; round-robin with the other implementations of this shape';
      for (const weightType of ['f32', 'f16'] as const) {
        const variant = kernel.choose(M, N, K, weightType);
        const split = variant === 'tiled' ? kernel.splitFor(M, N, K, weightType).S : 1;
        const params: BenchCase['params'] = { ...base, weightType, impl: 'ours', variant, split, timing };
        cases.push({
          name: `matmul ${shapeName(shape)} ours ${weightType}`,
          params,
          work: { flops, bytes: matmulWeightBytes(N, K, weightType) },
          run: weightType === 'f32' ? round : take('f16'),
          dispose: () => {
            params['wall_median_ms'] = Number(recentMedian(wall[weightType]).toPrecision(4));
            params['wall_gflops'] = Number((flops / (recentMedian(wall[weightType]) * 1e6)).toPrecision(4));
            freeShape();
          },
        });
      }
      if (typeof tf !== 'string') {
        const params: BenchCase['params'] = { ...base, weightType: 'f32', impl: 'tfjs', timing: 'wall-clock (calls to await data()); round-robin with ours' };
        cases.push({
          name: `matmul ${shapeName(shape)} tfjs f32 wall`,
          params,
          work: { flops, bytes: matmulWeightBytes(N, K, 'f32') },
          run: take('tfjs'),
          dispose: () => {
            const parts: string[] = [];
            if (rounds.length) {
              const n = rounds.length;
              for (const impl of ['f32', 'f16'] as const) {
                const ratios: Array<[string, number]> = [
                  ['wall', pairedRatio((r) => r.wall[impl])],
                  ['ts', pairedRatio((r) => r.ts[impl]?.ms)],
                ];
                for (const [kind, ratio] of ratios) {
                  params[`ratio_${impl}_${kind}`] = Number(ratio.toFixed(3));
                  parts.push(`${impl}-${kind} ${ratio.toFixed(2)}x`);
                }
              }
              params['rounds'] = n;
            }
            ctx.log(`ours/tfjs speed ${shapeName(shape)} (median of per-round ratios, last 5 rounds): ${parts.join(', ')}`);
            freeShape();
          },
        });
      }
    }

    // Software adapters: the hardware tile config against SOFTWARE_CONFIG (why software gets its own).
    if (gpu.info.isSoftware) {
      const k2 = new MatmulKernel(gpu, cache, HARDWARE_CONFIG);
      await verify(gpu, k2, ctx.log);
      for (const config of [HARDWARE_CONFIG, SOFTWARE_CONFIG]) {
        const kc = config === HARDWARE_CONFIG ? k2 : kernel;
        for (const shape of [[256, 256, 256], [1, 2048, 2048]] as Shape[]) {
          cases.push(timedCase(gpu, kc, shape, 'f32', `config ${config.name.split(':')[0]} matmul ${shapeName(shape)} f32`, { config: config.name }));
        }
      }
    } else {
      for (const shape of CROSSOVER_SHAPES) {
        for (const variant of ['tiled', 'skinny-subgroup', 'skinny'] as MatmulVariant[]) {
          if (variantUnsupported(variant, shape[0], 'f32', kernel.features)) continue;
          cases.push(timedCase(gpu, kernel, shape, 'f32', `variant ${variant} matmul ${shapeName(shape)} f32`, { auto: kernel.choose(...shape, 'f32') }, variant));
        }
      }
      // Split-K: S = 1 is the tiled choice before split-K; the automatic rule's S is in each case's params.
      const k64 = new MatmulKernel(gpu, cache, TILE64_CONFIG);
      for (const shape of SPLIT_SHAPES) {
        const auto = kernel.splitFor(...shape, 'f32').S;
        for (const S of SPLITS) {
          if (kernel.splitFor(...shape, 'f32', S).S !== S) continue; // K too short for S slices of BK
          if (S * shape[0] * shape[1] * 4 > HARDWARE_CONFIG.splitK.maxWorkspaceBytes) continue; // the rule's workspace cap
          cases.push(timedCase(gpu, kernel, shape, 'f32', `split S=${S} matmul ${shapeName(shape)} f32`, { auto_split: auto, config: HARDWARE_CONFIG.name }, 'tiled', S));
        }
        for (const S of [1, 2, 4]) {
          cases.push(timedCase(gpu, k64, shape, 'f32', `split64 S=${S} matmul ${shapeName(shape)} f32`, { auto_split: auto, config: TILE64_CONFIG.name }, 'tiled', S));
        }
      }
    }
    // Hardware skinny alternatives to HARDWARE_CONFIG's 256 threads × <= 8 rows of x.
    if (!gpu.info.isSoftware) {
      for (const skinny of [{ wg: 256, maxRows: 4 }, { wg: 128, maxRows: 8 }]) {
        const ks = new MatmulKernel(gpu, cache, { ...HARDWARE_CONFIG, name: `hardware with skinny ${skinny.wg} threads x <= ${skinny.maxRows} rows of x`, skinny });
        for (const shape of SKINNY_SHAPES) {
          cases.push(timedCase(gpu, ks, shape, 'f32', `skinny wg${skinny.wg} rows${skinny.maxRows} matmul ${shapeName(shape)} f32`, { config: ks.config.name }, 'skinny-subgroup'));
        }
      }
    }
    return cases;
  },
};
