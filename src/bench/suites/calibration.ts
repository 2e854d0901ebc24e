/**
 * `calibration`: the simulated backend's calibration mode (engine/calibrate-gpu.ts) on this adapter. It
 * runs a random Llama's forward steps (prefill of T tokens, decode of T rows; every kernel in its own
 * timestamped pass where the adapter has timestamps), fits the roofline t = max(F·a, B·b) + c·dispatches
 * to the dense matmuls, and reports what the fit found: achieved FLOP/s, bytes/s, fixed cost per dispatch,
 * and how well the fitted model predicts its own samples (RMS relative error).
 *
 * The calibration model: on hardware a 2-layer dim-2048 Llama (hidden 5632, 16 heads x 128, GQA 4:1,
 * vocab 8192; 0.12 G parameters, f32), whose matmuls span M = 1 (memory-bound) to M = 512
 * (compute-bound); on a software adapter the built-in CALIBRATION_MODEL (dim 256), which SwiftShader
 * steps through in seconds. A case's time is the whole calibration, wall clock (it is not a kernel
 * benchmark: the fitted rates are the result, in params).
 */
import { calibrateOnGpu, CALIBRATION_MODEL, type CalibrationResult } from '../../engine/calibrate-gpu';
import { validateConfig } from '../../model/config';
import type { BenchCase, BenchSuite } from '../suite';

const HARDWARE_MODEL = validateConfig({
  name: 'calibration model (random weights, dim 2048, 2 layers)',
  synthetic: true,
  dim: 2048, hiddenDim: 5632, numLayers: 2, numHeads: 16, numKvHeads: 4, headDim: 128, vocabSize: 8192, maxSeqLen: 1024,
  rmsNormEps: 1e-5, ropeTheta: 500000, ropeConvention: 'rotate-half', tiedEmbeddings: false, bosId: 1, eosIds: [2],
});

function fitParams(r: CalibrationResult): Record<string, number | string | boolean> {
  const f = r.fit;
  return {
    level: r.level,
    timing: r.timing,
    samples: f.numSamples,
    compute_bound_samples: f.numComputeBound,
    memory_bound_samples: f.numMemoryBound,
    ...(f.achievedFlops !== null ? { achieved_gflops: +(f.achievedFlops / 1e9).toFixed(1) } : {}),
    ...(f.achievedBandwidth !== null ? { achieved_gbps: +(f.achievedBandwidth / 1e9).toFixed(1) } : {}),
    overhead_us_per_dispatch: +(f.overheadMsPerDispatch * 1000).toFixed(2),
    rms_rel_error_pct: +(100 * f.rmsRelError).toFixed(1),
  };
}

export const calibrationSuite: BenchSuite = {
  name: 'calibration',
  description: "the simulated backend's calibration mode on this adapter: the fitted roofline (achieved FLOP/s, bytes/s, cost per dispatch) and its error",
  needsGpu: true,
  async cases(ctx) {
    const gpu = ctx.gpu!;
    const hardware = !gpu.info.isSoftware && !ctx.smoke;
    const config = hardware ? HARDWARE_MODEL : CALIBRATION_MODEL;
    const tokenCounts = ctx.smoke ? [1, 4] : hardware ? [1, 8, 32, 128, 512] : [1, 4, 16, 64];
    const repetitions = ctx.smoke ? 1 : 3;
    const params: BenchCase['params'] = { model: config.name ?? 'model', token_counts: tokenCounts.join(' '), repetitions_per_shape: repetitions };
    let last: CalibrationResult | null = null;
    return [
      {
        name: `calibrate ${hardware ? 'dim2048' : 'dim256'} T=${tokenCounts.join(',')}`,
        params,
        async run() {
          const t0 = performance.now();
          last = await calibrateOnGpu(gpu, { config, tokenCounts, repetitions });
          const ms = performance.now() - t0;
          Object.assign(params, fitParams(last));
          return { ms, method: 'wall-clock' as const };
        },
        dispose() {
          if (!last) return;
          const p = fitParams(last);
          ctx.log(`calibration on ${last.adapter} (${last.level} samples, ${last.timing}): ${JSON.stringify(p)}`);
          for (const s of last.samples) ctx.log(`  ${s.label}: ${s.ms.toFixed(4)} ms, ${(s.flops / s.ms / 1e6).toFixed(1)} GFLOP/s, ${(s.bytes / s.ms / 1e6).toFixed(1)} GB/s, ${s.dispatches} dispatches`);
        },
      },
    ];
  },
};
