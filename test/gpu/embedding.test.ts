// Embedding gather (f32 and f16-packed tables, one chunk and a table split into two chunks) and the
// last-token logits gather, against plain-TS references.
import { describe, expect } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { EmbeddingKernel, embeddingReference, embeddingTableWords, type EmbeddingFormat } from '../../src/kernels/embedding';
import { LogitsGatherKernel, lastTokenIndices, logitsGatherReference } from '../../src/kernels/logits-gather';
import { normal, randomInts } from '../util/rng';

interface Case {
  vocab: number;
  dim: number;
  numTokens: number;
  format: EmbeddingFormat;
  /** Split the table into chunks starting at these rows. */
  chunks: number[];
}

const cases: Case[] = [];
for (const format of ['f32', 'f16'] as EmbeddingFormat[]) {
  cases.push(
    { vocab: 1, dim: 1, numTokens: 1, format, chunks: [0] },
    { vocab: 50, dim: 7, numTokens: 9, format, chunks: [0] },
    { vocab: 50, dim: 130, numTokens: 17, format, chunks: [0, 20] },
    { vocab: 300, dim: 64, numTokens: 5, format, chunks: [0, 1, 299] },
    { vocab: 50, dim: 64, numTokens: 0, format, chunks: [0] },
  );
}

describe('embedding gather', () => {
  for (const c of cases) {
    gpuTest(`embedding ${c.format} vocab=${c.vocab} dim=${c.dim} tokens=${c.numTokens} chunks=${c.chunks.join(',')}`, async ({ device }) => {
      const e = normal(c.vocab * c.dim, c.vocab + c.dim);
      const ids = randomInts(c.numTokens, c.dim, c.vocab);
      if (c.numTokens >= 2) ids.set([0, c.vocab - 1], 0);
      const cache = new PipelineCache(device);
      const idb = storageBuffer(device, 'Test.tokenIds', ids.length ? ids : new Uint32Array(1));
      const n = c.numTokens * c.dim;
      const xb = storageBuffer(device, 'Test.x', Math.max(4, n * 4));
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      c.chunks.forEach((start, k) => {
        const end = c.chunks[k + 1] ?? c.vocab;
        const rows = end - start;
        const kernel = new EmbeddingKernel(device, cache, { dim: c.dim, format: c.format, rowStart: start, numRows: rows });
        const table = storageBuffer(device, `Test.table${k}`, embeddingTableWords(e.slice(start * c.dim, end * c.dim), rows, c.dim, c.format));
        kernel.encode(pass, idb, table, xb, c.numTokens);
      });
      pass.end();
      device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(device, xb, Math.max(4, n * 4))).subarray(0, n);
      expectClose(got, embeddingReference(e, c.vocab, c.dim, c.format, ids), 0, 0, 'x');
    });
  }
});

describe('logits gather', () => {
  const gatherCases = [
    { dim: 33, scheduled: [5, 1, 6] },
    { dim: 1, scheduled: [1] },
    { dim: 300, scheduled: [37, 1, 1, 1, 1, 1] },
    { dim: 64, scheduled: [] as number[] },
  ];
  for (const c of gatherCases) {
    gpuTest(`logits gather dim=${c.dim} tokens per seq=${c.scheduled.join(',') || 'none'}`, async ({ device }) => {
      const numTokens = c.scheduled.reduce((a, b) => a + b, 0);
      const hidden = normal(numTokens * c.dim, c.dim);
      const last = lastTokenIndices(c.scheduled);
      if (c.scheduled.length) expect(last[last.length - 1]).toBe(numTokens - 1);
      const kernel = new LogitsGatherKernel(device, new PipelineCache(device), { dim: c.dim, workgroupSize: 64 });
      const hb = storageBuffer(device, 'Test.hidden', hidden.length ? hidden : new Float32Array(1));
      const lb = storageBuffer(device, 'Test.lastIndex', last.length ? last : new Uint32Array(1));
      const n = last.length * c.dim;
      const ob = storageBuffer(device, 'Test.out', Math.max(4, n * 4));
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      kernel.encode(pass, hb, lb, ob, last.length);
      pass.end();
      device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(device, ob, Math.max(4, n * 4))).subarray(0, n);
      expectClose(got, logitsGatherReference(hidden, last, c.dim), 0, 0, 'out');
    });
  }
});
