/**
 * `kernels.elementwise`: rmsnorm, rope and GPU sampling at decode and prefill sizes.
 *
 *   `rmsnorm dim=D tokens=T[ tree]`                    (D, T) in (64, 1|32), (4096, 1|32|512); this adapter's
 *                                                      variant (kernels/row-reduce.ts), and ` tree` the
 *                                                      workgroup-memory tree with rowWorkgroupSize threads
 *                                                      (the kernel before the variants), alternating
 *   `rope rotate-half 32/8 heads x 128 tokens=T`       Llama-3-8B's Q/K shape, in place
 *   `sample vocab=V batch=B greedy|topk50-topp0.9`     V in 512, 32000; B in 1, 8, 32; two dispatches (row
 *                                                      statistics for every row, then the indirect pass
 *                                                      for the sampled rows; see kernels/sample.ts)
 *
 * Each timed repetition is ONE compute pass holding `inner` identical dispatches (rope rotates the same
 * buffer again, sampling rewrites the same output: the work per dispatch is unchanged); the sample is the
 * pass's time divided by `inner`. GPU timestamps where the adapter has them, else wall clock from submit
 * to completion (queue latency included: an upper bound). GB/s counts the bytes a dispatch must move:
 * rmsnorm x read + y written + weight; rope Q and K read and written; sampling one read of the logits
 * (the top-k/top-p path reads them up to 11 times, so its GB/s is "effective", per logit byte).
 * Every kernel's output is checked against its reference once before timing. sample runs with
 * rowWorkgroupSize(adapter) threads per row (64 on software adapters, 256 on GPUs; see kernels/grid.ts).
 *
 * Why sample on the GPU: for each sampling case two wall-clock cases compare the whole round trip,
 *   `... gpu+read8B wall`    submit the sampling dispatch, read back 8 B per row (mapAsync)
 *   `... read-logits+cpu wall`  copy the logits to a staging buffer, map them, sample in JavaScript
 *                              (greedy: an argmax loop; top-k/top-p: the plain-TS reference, which sorts)
 * both timed from submit to having the tokens in JavaScript.
 */
import { createBuffer, GpuTimer, PipelineCache, readBuffer, storageBuffer, type GpuContext } from '../../gpu';
import { RmsNormKernel, rmsnormReference } from '../../kernels/rmsnorm';
import { RopeKernel, ropeReference, type RopeConfig } from '../../kernels/rope';
import { packSampleParams, SAMPLE_OUT_BYTES, SampleKernel, sampleReference, unpackSampleOut, type SampleParams } from '../../kernels/sample';
import { rowWorkgroupSize } from '../../kernels/grid';
import type { BenchCase, BenchSuite } from '../suite';

/** Deterministic values in [-scale, scale). */
function fill(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

function innerReps(gpu: GpuContext): number {
  return gpu.info.isSoftware ? 2 : 100;
}

/** A case that times `record` (inner dispatches in one pass) with the given timer. */
function timedCase(
  gpu: GpuContext,
  name: string,
  params: BenchCase['params'],
  bytes: number,
  record: (pass: GPUComputePassEncoder) => void,
  buffers: GPUBuffer[],
  extra: () => void = () => {},
): BenchCase {
  const { device } = gpu;
  const inner = innerReps(gpu);
  const timer = new GpuTimer(gpu, 1);
  return {
    name,
    params: { ...params, inner },
    work: { bytes },
    async run() {
      timer.begin();
      const enc = device.createCommandEncoder({ label: 'ElementwiseBench.encoder' });
      const pass = enc.beginComputePass(timer.pass(name));
      for (let i = 0; i < inner; i++) record(pass);
      pass.end();
      timer.end(enc);
      device.queue.submit([enc.finish()]);
      const t = await timer.read();
      return { ms: t.totalMs / inner, method: t.method };
    },
    dispose() {
      for (const b of buffers) b.destroy();
      timer.destroy();
      extra();
    },
  };
}

/**
 * Frees `free` once every case of `group` has been disposed (in any order): with --case the runner
 * disposes unselected cases before the selected ones run, so buffers shared by a group must outlive
 * whichever of its cases is disposed first.
 */
function disposeTogether(group: BenchCase[], free: () => void): void {
  let left = group.length;
  for (const c of group) {
    const own = c.dispose?.bind(c);
    c.dispose = () => {
      own?.();
      if (--left === 0) free();
    };
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function runOnce(device: GPUDevice, record: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const enc = device.createCommandEncoder({ label: 'ElementwiseBench.check' });
  const pass = enc.beginComputePass({ label: 'ElementwiseBench.check' });
  record(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** The two wall-clock round trips described in the header, for one sampling case. */
function roundTripCases(
  device: GPUDevice, sampler: SampleKernel, lb: GPUBuffer, pb: GPUBuffer, ob: GPUBuffer,
  params: SampleParams[], vocab: number, batch: number, mode: string, firstLogit: number,
): BenchCase[] {
  const outBytes = batch * SAMPLE_OUT_BYTES;
  const logitBytes = batch * vocab * 4;
  const readUsage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
  const outStaging = createBuffer(device, { label: 'ElementwiseBench.outStaging', size: outBytes, usage: readUsage });
  const logitStaging = createBuffer(device, { label: 'ElementwiseBench.logitStaging', size: logitBytes, usage: readUsage });
  const base = { kernel: 'sample', vocab, batch, mode };
  return [
    {
      name: `sample vocab=${vocab} batch=${batch} ${mode} gpu+read8B wall`,
      params: { ...base, path: 'gpu' },
      async run() {
        const t0 = performance.now();
        const enc = device.createCommandEncoder({ label: 'ElementwiseBench.roundTrip' });
        const pass = enc.beginComputePass({ label: 'ElementwiseBench.roundTrip' });
        sampler.encode(pass, lb, pb, ob, batch);
        pass.end();
        enc.copyBufferToBuffer(ob, 0, outStaging, 0, outBytes);
        device.queue.submit([enc.finish()]);
        await outStaging.mapAsync(GPUMapMode.READ);
        const out = new Uint32Array(outStaging.getMappedRange().slice(0));
        outStaging.unmap();
        // A failed submit (e.g. a destroyed buffer) would still resolve mapAsync: check what came back.
        for (let r = 0; r < batch; r++) if (!(out[2 * r]! < vocab)) throw new Error(`round trip read token ${out[2 * r]} >= vocab ${vocab}`);
        return { ms: performance.now() - t0, method: 'wall-clock' };
      },
      dispose: () => outStaging.destroy(),
    },
    {
      name: `sample vocab=${vocab} batch=${batch} ${mode} read-logits+cpu wall`,
      params: { ...base, path: 'cpu' },
      work: { bytes: logitBytes },
      async run() {
        const t0 = performance.now();
        const enc = device.createCommandEncoder({ label: 'ElementwiseBench.readLogits' });
        enc.copyBufferToBuffer(lb, 0, logitStaging, 0, logitBytes);
        device.queue.submit([enc.finish()]);
        await logitStaging.mapAsync(GPUMapMode.READ);
        const host = new Float32Array(logitStaging.getMappedRange().slice(0));
        logitStaging.unmap();
        if (host[0] !== firstLogit) throw new Error(`read-back logits start with ${host[0]}, uploaded ${firstLogit}`);
        const tokens = new Uint32Array(batch);
        for (let r = 0; r < batch; r++) {
          const row = host.subarray(r * vocab, (r + 1) * vocab);
          if (params[r]!.temperature <= 0) {
            let best = 0;
            for (let i = 1; i < vocab; i++) if (row[i]! > row[best]!) best = i;
            tokens[r] = best;
          } else {
            tokens[r] = sampleReference(row, params[r]!).token;
          }
        }
        return { ms: performance.now() - t0, method: 'wall-clock' };
      },
      dispose: () => logitStaging.destroy(),
    },
  ];
}

export const kernelsElementwiseSuite: BenchSuite = {
  name: 'kernels.elementwise',
  description: 'rmsnorm, rope and GPU sampling (vocab 512 and 32000, batch 1/8/32): µs per dispatch and GB/s',
  needsGpu: true,
  async cases(ctx) {
    const gpu = ctx.gpu!;
    const { device } = gpu;
    const cache = new PipelineCache(device);
    const cases: BenchCase[] = [];

    // rmsnorm: each shape with this adapter's variant (chooseRowShape) and, right after it, the kernel as it
    // was before the variants (`tree`: workgroup-memory halving tree, rowWg threads), so the two alternate.
    const rowWg = rowWorkgroupSize(gpu.info);
    ctx.log(`kernels.elementwise: ${rowWg} threads per row for the sampler and the rmsnorm tree baseline (rowWorkgroupSize for this adapter)`);
    const rmsShapes: Array<[number, number]> = ctx.smoke ? [] : [[64, 1], [64, 32], [4096, 1], [4096, 32], [4096, 512]];
    for (const [dim, tokens] of rmsShapes) {
      const x = fill(tokens * dim, tokens, 2);
      const w = fill(dim, 7, 1);
      const xb = storageBuffer(device, 'ElementwiseBench.x', x);
      const wb = storageBuffer(device, 'ElementwiseBench.weight', w);
      const yb = storageBuffer(device, 'ElementwiseBench.y', tokens * dim * 4);
      const kernels: Array<[string, RmsNormKernel]> = [
        ['', new RmsNormKernel(device, cache, { dim, eps: 1e-5 })],
        [' tree', new RmsNormKernel(device, cache, { dim, eps: 1e-5, workgroupSize: rowWg, reduce: 'workgroup' })],
      ];
      const group = kernels.map(([tag, rms]) =>
        timedCase(gpu, `rmsnorm dim=${dim} tokens=${tokens}${tag}`, { kernel: 'rmsnorm', dim, tokens, variant: rms.reduce, wg: rms.workgroupSize }, (2 * tokens + 1) * dim * 4,
          (p) => rms.encode(p, xb, wb, yb, tokens), []));
      disposeTogether(group, () => [xb, wb, yb].forEach((b) => b.destroy()));
      cases.push(...group);
      for (const [tag, rms] of kernels) {
        await runOnce(device, (p) => rms.encode(p, xb, wb, yb, tokens));
        const got = new Float32Array(await readBuffer(device, yb, tokens * dim * 4));
        const err = maxAbsDiff(got, rmsnormReference(x, w, tokens, dim, 1e-5));
        if (!(err < 1e-4)) throw new Error(`rmsnorm${tag} dim=${dim} tokens=${tokens}: max |diff| ${err} against the reference`);
      }
    }

    // rope
    const ropeCfg: RopeConfig = { numHeads: 32, numKvHeads: 8, headDim: 128, theta: 500000, convention: 'rotate-half' };
    const rope = new RopeKernel(device, cache, ropeCfg);
    const perToken = (ropeCfg.numHeads + 2 * ropeCfg.numKvHeads) * ropeCfg.headDim;
    for (const tokens of ctx.smoke ? [] : [1, 32, 512]) {
      const qkv = fill(tokens * perToken, 3 + tokens);
      const positions = new Uint32Array(tokens).map((_, t) => 1000 + t);
      const qb = storageBuffer(device, 'ElementwiseBench.qkv', qkv);
      const pb = storageBuffer(device, 'ElementwiseBench.positions', positions);
      await runOnce(device, (p) => rope.encode(p, qb, pb, tokens));
      const err = maxAbsDiff(new Float32Array(await readBuffer(device, qb, qkv.byteLength)), ropeReference(qkv, positions, tokens, ropeCfg));
      if (!(err < 1e-4)) throw new Error(`rope tokens=${tokens}: max |diff| ${err} against the reference`);
      const qkBytes = tokens * (ropeCfg.numHeads + ropeCfg.numKvHeads) * ropeCfg.headDim * 4;
      cases.push(timedCase(gpu, `rope rotate-half 32/8 heads x 128 tokens=${tokens}`, { kernel: 'rope', tokens }, 2 * qkBytes + tokens * 4,
        (p) => rope.encode(p, qb, pb, tokens), [qb, pb]));
    }

    // sampling: vocab 32000 (Llama-2) with the round trips below, and vocab 512 (stories260K) timed only
    const samplers: SampleKernel[] = [];
    const modes: Array<[string, Omit<SampleParams, 'seed' | 'counter'>]> = [
      ['greedy', { temperature: 0, topK: 0, topP: 1 }],
      ['topk50-topp0.9', { temperature: 0.8, topK: 50, topP: 0.9 }],
    ];
    for (const vocab of ctx.smoke ? [512] : [512, 32000]) {
      const sampler = new SampleKernel(device, cache, { vocab, workgroupSize: rowWg });
      samplers.push(sampler);
      if (sampler.statsPipeline) ctx.log(`kernels.elementwise: sample vocab ${vocab}: first pass ${sampler.statsReduce} x ${sampler.statsWorkgroupSize} threads`);
      for (const batch of ctx.smoke ? [1] : [1, 8, 32]) {
        for (const [mode, p] of ctx.smoke ? modes.slice(1) : modes) {
          const logits = fill(batch * vocab, 11 + batch, 8);
          const params = Array.from({ length: batch }, (_, r): SampleParams => ({ ...p, seed: r, counter: 0 }));
          const lb = storageBuffer(device, 'ElementwiseBench.logits', logits);
          const pb = storageBuffer(device, 'ElementwiseBench.params', new Uint8Array(packSampleParams(params)));
          const ob = storageBuffer(device, 'ElementwiseBench.out', batch * SAMPLE_OUT_BYTES);
          await runOnce(device, (pass) => sampler.encode(pass, lb, pb, ob, batch));
          const got = unpackSampleOut(await readBuffer(device, ob, batch * SAMPLE_OUT_BYTES), batch);
          for (let r = 0; r < batch; r++) {
            const want = sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), params[r]!);
            if (want.probs[got.tokens[r]!]! <= 0 || (want.margin > 1e-5 && got.tokens[r] !== want.token)) {
              throw new Error(`sample ${mode} batch=${batch} row ${r}: token ${got.tokens[r]}, reference ${want.token}`);
            }
          }
          // The round-trip cases use the timed case's buffers: freed once all of the group are disposed.
          const roundTrips = ctx.smoke || vocab < 32000 ? [] : roundTripCases(device, sampler, lb, pb, ob, params, vocab, batch, mode, logits[0]!);
          const group = [
            timedCase(gpu, `sample vocab=${vocab} batch=${batch} ${mode}`, { kernel: 'sample', vocab, batch, mode, wg: rowWg }, batch * vocab * 4,
              (pass) => sampler.encode(pass, lb, pb, ob, batch), []),
            ...roundTrips,
          ];
          disposeTogether(group, () => [lb, pb, ob].forEach((b) => b.destroy()));
          cases.push(...group);
        }
      }
    }
    // The kernels' own buffers go once every case is disposed.
    disposeTogether(cases, () => {
      rope.destroy();
      for (const s of samplers) s.destroy();
    });
    return cases;
  },
};
