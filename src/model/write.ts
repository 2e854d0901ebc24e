/**
 * Writers for the three formats: small, exact, used by tests (round trips, fuzz seeds, f16/bf16/q8_0
 * files) and by anything that exports a model (e.g. a synthetic model saved for other tools).
 */
import type { ModelConfig } from './config';
import { LLAMA2C_HEADER_BYTES } from './llama2c';

export interface RawTensor {
  name: string;
  /** Row-major shape, outermost first. */
  shape: number[];
  data: Uint8Array;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** safetensors: `dtype` is the file's spelling (F32, F16, BF16...). Header padded with spaces to 8 bytes. */
export function writeSafetensors(tensors: (RawTensor & { dtype: string })[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  return concat([len, h, ...tensors.map((t) => t.data)]);
}

export type GgufKv = [key: string, type: 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'string[]' | 'f32[]' | 'i32[]', value: unknown];

/** GGUF v3. ggmlType: 0 F32, 1 F16, 8 Q8_0, 30 BF16. Tensors laid out in the given order, aligned. */
export function writeGguf(kv: GgufKv[], tensors: (RawTensor & { ggmlType: number })[], alignment = 32): Uint8Array {
  const parts: number[] = [];
  const bytes: Uint8Array[] = [];
  const flush = () => {
    bytes.push(Uint8Array.from(parts));
    parts.length = 0;
  };
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    parts.push(...b);
  };
  const i32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    parts.push(...b);
  };
  const f32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    parts.push(...b);
  };
  const u64 = (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    parts.push(...b);
  };
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    u64(b.byteLength);
    flush();
    bytes.push(b);
  };
  u32(0x46554747);
  u32(3);
  u64(tensors.length);
  u64(kv.length);
  for (const [key, type, value] of kv) {
    str(key);
    switch (type) {
      case 'u32': u32(4); u32(value as number); break;
      case 'i32': u32(5); i32(value as number); break;
      case 'f32': u32(6); f32(value as number); break;
      case 'bool': u32(7); parts.push(value ? 1 : 0); break;
      case 'string': u32(8); str(value as string); break;
      case 'string[]': u32(9); u32(8); u64((value as string[]).length); for (const s of value as string[]) str(s); break;
      case 'f32[]': u32(9); u32(6); u64((value as number[]).length); for (const x of value as number[]) f32(x); break;
      case 'i32[]': u32(9); u32(5); u64((value as number[]).length); for (const x of value as number[]) i32(x); break;
    }
  }
  let off = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    str(t.name);
    u32(t.shape.length);
    for (const d of [...t.shape].reverse()) u64(d);
    u32(t.ggmlType);
    u64(off);
    offsets.push(off);
    off = Math.ceil((off + t.data.byteLength) / alignment) * alignment;
  }
  flush();
  const head = concat(bytes);
  const dataStart = Math.ceil(head.byteLength / alignment) * alignment;
  const out = new Uint8Array(dataStart + off);
  out.set(head, 0);
  tensors.forEach((t, i) => out.set(t.data, dataStart + offsets[i]!));
  return out;
}

/**
 * llama2.c version-0 checkpoint from canonical f32 weights (interleaved q/k order expected), with zeroed
 * legacy RoPE tables. Unshared classifier when the config is untied.
 */
export function writeLlama2c(c: ModelConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const header = new Uint8Array(LLAMA2C_HEADER_BYTES);
  const dv = new DataView(header.buffer);
  [c.dim, c.hiddenDim, c.numLayers, c.numHeads, c.numKvHeads, c.tiedEmbeddings ? c.vocabSize : -c.vocabSize, c.maxSeqLen].forEach((v, i) =>
    dv.setInt32(4 * i, v, true),
  );
  const parts: Uint8Array[] = [header];
  const f = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`writeLlama2c: missing ${name}`);
    parts.push(new Uint8Array(w.buffer, w.byteOffset, w.byteLength).slice());
  };
  const per = (suffix: string) => {
    for (let l = 0; l < c.numLayers; l++) f(`layers.${l}.${suffix}`);
  };
  f('embed');
  per('attn_norm');
  per('attn.wq');
  per('attn.wk');
  per('attn.wv');
  per('attn.wo');
  per('ffn_norm');
  per('ffn.w_gate');
  per('ffn.w_down');
  per('ffn.w_up');
  f('final_norm');
  parts.push(new Uint8Array(2 * 4 * ((c.maxSeqLen * c.headDim) / 2)));
  if (!c.tiedEmbeddings) f('lm_head');
  return concat(parts);
}
