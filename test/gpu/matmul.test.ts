// The matmul family (shaders/matmul*.wgsl, src/kernels/matmul.ts) against its f64 reference: every
// variant forced and the automatic choice, both weight types, every epilogue, awkward shapes (not
// multiples of any tile, M = 1, N = 1, K = 1), skinny row chunks (every row bucket 1/2/4/8, M past 8),
// split-K (forced, automatic under the hardware rule, each epilogue, a short last slice), both tile
// configs (software and hardware), and on a compatibility-mode device and a device without subgroups
// (the fallback reduction).
import { describe, expect, test } from 'vitest';
import { gpuTest, expectClose, sharedGpu } from './harness';
import { uniform } from '../util/rng';
import { acquireGpu, PipelineCache, readBuffer, storageBuffer, type GpuContext } from '../../src/gpu';
import {
  HARDWARE_CONFIG,
  MatmulKernel,
  SKINNY_MAX_M,
  matmulConfigFor,
  matmulKStride,
  matmulReference,
  matmulWeightData,
  padRows,
  variantUnsupported,
  type MatmulConfig,
  type MatmulVariant,
  type MatmulWeightType,
} from '../../src/kernels/matmul';
import { packF16Rows, unpackF16Rows } from '../../src/kernels/f16';

type Residual = 'none' | 'add' | 'accumulate';

interface Case {
  M: number;
  N: number;
  K: number;
  weightType: MatmulWeightType;
  /** undefined: the automatic choice. */
  variant?: MatmulVariant;
  residual: Residual;
  config?: MatmulConfig;
  /** Tiled: force this many split-K slices. */
  splitK?: number;
}

const caseName = (c: Case) =>
  `${c.M}x${c.N}x${c.K} ${c.weightType} ${c.variant ?? 'auto'}${c.splitK ? ` splitK=${c.splitK}` : ''}${c.residual === 'none' ? '' : ` residual=${c.residual}`}${c.config ? ` [${c.config.name.split(':')[0]}]` : ''}`;

/** Inputs, seeded from the shape so a failing case replays from its name. */
function inputs(c: Case) {
  const seed = c.M * 1_000_003 + c.N * 1_009 + c.K;
  const x = uniform(c.M * c.K, seed);
  const wf = uniform(c.N * c.K, seed + 1);
  // f16 storage keeps f16-rounded weights: the reference multiplies exactly those.
  const w = c.weightType === 'f16' ? unpackF16Rows(packF16Rows(wf, c.N, c.K), c.N, c.K) : wf;
  const r = uniform(c.M * c.N, seed + 2);
  return { x, wf, w, r };
}

/** Runs one case on `ctx` (one pass, one submit) and returns y and the variant that ran. */
async function runCase(ctx: Pick<GpuContext, 'device' | 'info' | 'hasSubgroups' | 'hasF16'>, cache: PipelineCache, c: Case) {
  const { device } = ctx;
  const { x, wf, r } = inputs(c);
  const kernel = new MatmulKernel(ctx, cache, c.config);
  const KP = matmulKStride(c.K, c.weightType);
  const xb = storageBuffer(device, 'MatmulTest.x', padRows(x, c.M, c.K, KP));
  const wb = storageBuffer(device, 'MatmulTest.w', matmulWeightData(wf, c.N, c.K, c.weightType));
  const yb = storageBuffer(device, 'MatmulTest.y', c.residual === 'accumulate' ? r : new Float32Array(c.M * c.N).fill(NaN));
  const rb = storageBuffer(device, 'MatmulTest.r', r);
  const enc = device.createCommandEncoder({ label: 'MatmulTest.encoder' });
  const pass = enc.beginComputePass({ label: 'MatmulTest.pass' });
  const d = kernel.encode(pass, {
    x: xb, w: wb, y: yb, M: c.M, N: c.N, K: c.K, weightType: c.weightType,
    ...(c.variant ? { variant: c.variant } : {}),
    ...(c.splitK ? { splitK: c.splitK } : {}),
    ...(c.residual === 'add' ? { residual: rb } : c.residual === 'accumulate' ? { residual: yb } : {}),
  });
  pass.end();
  device.queue.submit([enc.finish()]);
  const y = new Float32Array(await readBuffer(device, yb, c.M * c.N * 4));
  kernel.destroy();
  for (const b of [xb, wb, yb, rb]) b.destroy();
  return { y, variant: d?.variant, split: d?.split };
}

function expected(c: Case): Float32Array {
  const { x, w, r } = inputs(c);
  return matmulReference(x, w, c.M, c.N, c.K, c.residual === 'none' ? undefined : r);
}

/** Tolerance: f32 sums of K products of values in [-1, 1]; skinny-f16 rounds x to f16 and sums 8 products in f16. */
function check(y: Float32Array, c: Case, variant: string) {
  const f16math = variant === 'skinny-f16';
  expectClose(y, expected(c), f16math ? 2e-3 * Math.sqrt(c.K) + 1e-3 : 2e-5 * Math.sqrt(c.K) + 1e-5, f16math ? 1e-2 : 1e-4, caseName(c));
}

// Shapes: none a multiple of any tile except where noted; M = 1, N = 1, K = 1 each appear. (On software
// adapters the automatic choice is skinny for every M, so tiled runs where forced.)
const SKINNY_SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 37, 53],
  [2, 6, 24], // row bucket 2
  [3, 1, 19], // row bucket 4, one row unused
  [5, 67, 1], // row bucket 8
  [16, 130, 72], // M at the automatic skinny limit: two chunks of 8 rows; K a multiple of 8
  [9, 257, 100], // a chunk of 8 and a chunk of 1 row
];
const TILED_SHAPES: Array<[number, number, number]> = [
  [17, 33, 41], // first M past the skinny limit
  [70, 131, 45],
  [129, 65, 260],
  [64, 64, 64], // exact software tile
];
const WEIGHT_TYPES: MatmulWeightType[] = ['f32', 'f16'];

let cache: PipelineCache | undefined;
async function shared() {
  const ctx = await sharedGpu();
  cache ??= new PipelineCache(ctx.device);
  return { ctx, cache };
}

// Cases are chosen to cover every variant, weight type and epilogue while compiling few pipelines
// (a pipeline per variant × weight type × epilogue × skinny row bucket; each tiled one takes seconds to
// compile on SwiftShader). Many shapes share one pipeline, so shapes are cheap and pipelines are not.
describe('matmul vs reference', () => {
  const cases: Case[] = [];
  for (const weightType of WEIGHT_TYPES) {
    for (const [M, N, K] of [...SKINNY_SHAPES, ...TILED_SHAPES]) {
      cases.push({ M, N, K, weightType, residual: 'none' });
      const forced: MatmulVariant[] = M <= SKINNY_MAX_M ? ['tiled', 'skinny', 'skinny-subgroup', 'skinny-f16'] : ['tiled'];
      for (const variant of forced) cases.push({ M, N, K, weightType, variant, residual: 'none' });
    }
  }
  // Skinny past 8 rows runs in chunks of 8 side by side: 45 rows = 5 full chunks and one of 5 rows.
  cases.push(
    { M: 45, N: 67, K: 45, weightType: 'f32', residual: 'none', variant: 'skinny' },
    { M: 45, N: 67, K: 45, weightType: 'f16', residual: 'none', variant: 'skinny-subgroup' },
  );
  // Split-K (tiled, forced): 300 columns in 3 slices of 104, the last one 92 (not a multiple of BK = 8);
  // f16 (KP 304); every epilogue (applied once, by the reduction); more slices than K has tiles (K = 5:
  // one slice of 8 columns); one slice per tile (K = 41 in 6 slices).
  cases.push(
    { M: 70, N: 131, K: 300, weightType: 'f32', residual: 'none', variant: 'tiled', splitK: 3 },
    { M: 70, N: 131, K: 300, weightType: 'f16', residual: 'add', variant: 'tiled', splitK: 3 },
    { M: 70, N: 131, K: 300, weightType: 'f32', residual: 'accumulate', variant: 'tiled', splitK: 3 },
    { M: 1, N: 1, K: 5, weightType: 'f32', residual: 'none', variant: 'tiled', splitK: 4 },
    { M: 17, N: 33, K: 41, weightType: 'f16', residual: 'accumulate', variant: 'tiled', splitK: 6 },
  );
  // Residual epilogues: y = x·W^T + r (add) and y += x·W^T in place (accumulate), on every variant family.
  cases.push(
    { M: 1, N: 37, K: 53, weightType: 'f32', residual: 'add' },
    { M: 1, N: 37, K: 53, weightType: 'f16', residual: 'accumulate' },
    { M: 5, N: 67, K: 1, weightType: 'f32', residual: 'accumulate', variant: 'skinny' },
    { M: 5, N: 67, K: 1, weightType: 'f16', residual: 'add', variant: 'skinny' },
    { M: 5, N: 67, K: 1, weightType: 'f16', residual: 'add', variant: 'skinny-f16' },
    { M: 70, N: 131, K: 45, weightType: 'f32', residual: 'add' },
    { M: 70, N: 131, K: 45, weightType: 'f16', residual: 'accumulate' },
    { M: 70, N: 131, K: 45, weightType: 'f32', residual: 'add', variant: 'tiled' },
    { M: 70, N: 131, K: 45, weightType: 'f16', residual: 'accumulate', variant: 'tiled' },
  );
  // The hardware tile config, so what real GPUs run is checked here too (this adapter is software).
  cases.push(
    { M: 129, N: 260, K: 40, weightType: 'f32', residual: 'accumulate', config: HARDWARE_CONFIG },
    { M: 3, N: 130, K: 72, weightType: 'f16', residual: 'none', config: HARDWARE_CONFIG },
    { M: 33, N: 130, K: 72, weightType: 'f16', residual: 'none', config: HARDWARE_CONFIG }, // auto: chunked skinny (M <= 64)
    // auto: 2 workgroups of 128 × 128 < 132, so the hardware rule splits K = 136 in 2 slices of 72 and 64
    { M: 65, N: 130, K: 136, weightType: 'f32', residual: 'accumulate', config: HARDWARE_CONFIG },
  );
  // (The hardware config's skinny with the workgroup-memory tree runs in the no-subgroups test below; the
  // kernels.matmul benchmark checks every variant against the reference on the real GPU before timing.)

  for (const c of cases) {
    gpuTest(caseName(c), async ({ ctx }) => {
      const { cache } = await shared();
      const why = c.variant && variantUnsupported(c.variant, c.M, c.weightType, { subgroups: ctx.hasSubgroups, shaderF16: ctx.hasF16 });
      if (why) {
        // Not a skip: the wrapper must refuse with a clear error, and the test says what was not run.
        console.log(`[matmul] ${caseName(c)}: not runnable on this adapter (${why}); checking the refusal`);
        await expect(runCase(ctx, cache, c)).rejects.toThrow(/cannot run/);
        return;
      }
      const { y, variant, split } = await runCase(ctx, cache, c);
      const kernel = new MatmulKernel(ctx, cache, c.config);
      if (c.variant) expect(variant).toBe(c.variant);
      else expect(variant).toBe(kernel.choose(c.M, c.N, c.K, c.weightType));
      expect(split).toBe(variant === 'tiled' ? kernel.splitFor(c.M, c.N, c.K, c.weightType, c.splitK).S : 1);
      if (c.config === HARDWARE_CONFIG && c.K === 136) expect(split).toBe(2); // the hardware rule's split, not a forced one
      kernel.destroy();
      check(y, c, variant!);
    });
  }
});

describe('matmul wrapper', () => {
  gpuTest('caches bind groups and shape slots; M = 0 records nothing; bad sizes throw', async ({ ctx, device }) => {
    const { cache } = await shared();
    const kernel = new MatmulKernel(ctx, cache);
    const [M, N, K] = [4, 40, 24];
    const x = storageBuffer(device, 'MatmulTest.x', uniform(M * K, 1));
    const w = storageBuffer(device, 'MatmulTest.w', uniform(N * K, 2));
    const y = storageBuffer(device, 'MatmulTest.y', M * N * 4);
    const enc = device.createCommandEncoder({ label: 'MatmulTest.encoder' });
    const pass = enc.beginComputePass({ label: 'MatmulTest.pass' });
    for (let i = 0; i < 3; i++) kernel.encode(pass, { x, w, y, M, N, K, weightType: 'f32' });
    kernel.encode(pass, { x, w, y, M: 2, N, K, weightType: 'f32' });
    expect(kernel.encode(pass, { x, w, y, M: 0, N, K, weightType: 'f32' })).toBeNull();
    expect(() => kernel.encode(pass, { x, w, y, M: 5, N, K, weightType: 'f32' })).toThrow(/x "MatmulTest.x" has 384 B, needs 480 B/);
    expect(() => kernel.encode(pass, { x, w, y, M: 2, N, K, weightType: 'f32', variant: 'skinny-f16' })).toThrow(/cannot run skinny-f16/);
    pass.end();
    device.queue.submit([enc.finish()]);
    expect(kernel.numBindGroupsCreated).toBe(1);
    expect(kernel.numParamWrites).toBe(2); // (4, 40, 24) and (2, 40, 24)
    const got = new Float32Array(await readBuffer(device, y, M * N * 4));
    expectClose(got.subarray(0, 2 * N), matmulReference(uniform(M * K, 1), uniform(N * K, 2), 2, N, K), 1e-4, 1e-4, 'last encode (M = 2)');
    kernel.destroy();
  });
});

describe('matmul split-K workspace', () => {
  gpuTest('grows for a larger split while an earlier split is recorded in the same pass; both results right', async ({ ctx, device }) => {
    const { cache } = await shared();
    const kernel = new MatmulKernel(ctx, cache);
    const shapes: Array<[number, number, number]> = [[3, 20, 64], [30, 70, 64]]; // workspaces 4·3·20·4 B, then 4·30·70·4 B
    const made = shapes.map(([M, N, K], i) => ({
      M, N, K,
      xv: uniform(M * K, 10 + i),
      wv: uniform(N * K, 20 + i),
    })).map((c) => ({
      ...c,
      x: storageBuffer(device, 'MatmulTest.x', c.xv),
      w: storageBuffer(device, 'MatmulTest.w', c.wv),
      y: storageBuffer(device, 'MatmulTest.y', c.M * c.N * 4),
    }));
    const enc = device.createCommandEncoder({ label: 'MatmulTest.encoder' });
    const pass = enc.beginComputePass({ label: 'MatmulTest.pass' });
    for (const c of made) {
      const d = kernel.encode(pass, { x: c.x, w: c.w, y: c.y, M: c.M, N: c.N, K: c.K, weightType: 'f32', variant: 'tiled', splitK: 4 });
      expect(d?.split).toBe(4);
    }
    expect(() => kernel.encode(pass, { x: made[0]!.x, w: made[0]!.w, y: made[0]!.y, M: 3, N: 20, K: 64, weightType: 'f32', variant: 'skinny', splitK: 2 })).toThrow(/tiled variant only/);
    pass.end();
    device.queue.submit([enc.finish()]);
    for (const c of made) {
      const got = new Float32Array(await readBuffer(device, c.y, c.M * c.N * 4));
      expectClose(got, matmulReference(c.xv, c.wv, c.M, c.N, c.K), 1e-4, 1e-4, `split 4 ${c.M}x${c.N}x${c.K}`);
    }
    kernel.destroy();
  });
});

/** A separate device (compatibility mode, or with features withheld), run inside error scopes. */
async function onOwnDevice(opts: Parameters<typeof acquireGpu>[1], cases: Case[], expectVariant: (c: Case, ctx: GpuContext) => MatmulVariant) {
  const ctx = await acquireGpu(navigator.gpu, opts);
  const { device } = ctx;
  try {
    console.log(`[matmul] own device: ${ctx.info.featureLevel}, features ${[...ctx.features].join(', ') || 'none'}`);
    const cache = new PipelineCache(device);
    device.pushErrorScope('validation');
    for (const c of cases) {
      const { y, variant } = await runCase(ctx, cache, c);
      expect(variant, caseName(c)).toBe(expectVariant(c, ctx));
      check(y, c, variant!);
    }
    const err = await device.popErrorScope();
    expect(err?.message ?? null, 'WebGPU validation error').toBeNull();
    return ctx;
  } finally {
    device.destroy();
  }
}

describe('matmul on other devices', () => {
  const fallbackCases: Case[] = [
    { M: 7, N: 130, K: 72, weightType: 'f16', residual: 'accumulate' },
    { M: 33, N: 65, K: 45, weightType: 'f32', residual: 'add' },
  ];
  test('compatibility mode: automatic variants, both weight types, epilogues', async () => {
    const ctx = await onOwnDevice({ featureLevel: 'compatibility' }, fallbackCases, (c, g) =>
      c.M > (c.config ?? matmulConfigFor(g.info)).skinnyMaxM ? 'tiled' : g.hasSubgroups ? 'skinny-subgroup' : 'skinny');
    expect(ctx.info.featureLevel).toBe('compatibility');
  }, 120_000);
  test('without subgroups: skinny uses the workgroup-memory reduction', async () => {
    const cases: Case[] = [...fallbackCases, { M: 16, N: 67, K: 100, weightType: 'f32', residual: 'add', config: HARDWARE_CONFIG }];
    const ctx = await onOwnDevice({ disableFeatures: ['subgroups' as GPUFeatureName] }, cases, (c, g) =>
      c.M > (c.config ?? matmulConfigFor(g.info)).skinnyMaxM ? 'tiled' : 'skinny');
    expect(ctx.hasSubgroups).toBe(false);
  }, 120_000);
});
