/**
 * One entry point for every supported model: give it the files (by name) or a single file, it sniffs
 * the format and returns the weights (a streaming WeightSource) and the tokenizer.
 *
 *   - GGUF: one *.gguf file (tokenizer from its metadata);
 *   - Hugging Face folder: config.json + model.safetensors (or shards listed in
 *     model.safetensors.index.json) + tokenizer.json (+ tokenizer_config.json);
 *   - llama2.c: the checkpoint .bin + its tokenizer .bin (a name containing "tok").
 */
import { readAll, readJson, toByteSource, type ByteInput, type ByteSource, type FetchOptions } from './bytes';
import { configFromHf } from './config';
import { BadFormatError, ModelError } from './errors';
import { openGguf } from './gguf';
import { openLlama2c } from './llama2c';
import { openSafetensors } from './safetensors';
import type { Tokenizer } from './tokenizer';
import { HfTokenizer } from './tokenizer-hf';
import { Llama2cTokenizer } from './tokenizer-llama2c';
import type { WeightSource } from './weights';

export interface LoadedModel {
  weights: WeightSource;
  /** Absent when the files include none (e.g. a lone llama2.c checkpoint). */
  tokenizer?: Tokenizer;
}

/** File name -> contents (File, Blob, ArrayBuffer, URL string...). A File[] from a folder picker also works. */
export type ModelFiles = Record<string, ByteInput> | File[];

function baseName(n: string): string {
  return n.split('/').pop() ?? n;
}

function toMap(files: ModelFiles): Map<string, ByteInput> {
  if (Array.isArray(files)) return new Map(files.map((f) => [baseName(f.name), f]));
  return new Map(Object.entries(files).map(([k, v]) => [baseName(k), v]));
}

/** First 8 bytes, for format sniffing. */
async function sniff(src: ByteSource): Promise<Uint8Array> {
  return src.read(0, Math.min(8, src.size ?? 8), 'file magic');
}

/** Opens a model from its files. Throws ModelError subclasses naming the file and the problem. */
export async function openModel(files: ModelFiles | ByteInput, opts: FetchOptions = {}): Promise<LoadedModel> {
  const isFiles = Array.isArray(files) || (typeof files === 'object' && files !== null && !(files instanceof URL) && !(files instanceof ArrayBuffer) && !ArrayBuffer.isView(files) && !(typeof Blob !== 'undefined' && files instanceof Blob) && !('read' in files));
  const map = isFiles ? toMap(files as ModelFiles) : new Map<string, ByteInput>([['model', files as ByteInput]]);
  const open = (name: string) => toByteSource(map.get(name)!, name, opts);
  const names = [...map.keys()];

  const ggufName = names.find((n) => n.endsWith('.gguf'));
  if (ggufName) return openGgufModel(await open(ggufName));

  if (map.has('config.json')) {
    const config = configFromHf(await readJson(await open('config.json'), 'config.json'));
    let shardNames: string[];
    if (map.has('model.safetensors.index.json')) {
      const index = (await readJson(await open('model.safetensors.index.json'), 'model.safetensors.index.json')) as { weight_map?: Record<string, string> };
      if (!index || typeof index.weight_map !== 'object') throw new BadFormatError('has no weight_map', 'model.safetensors.index.json');
      shardNames = [...new Set(Object.values(index.weight_map))].sort();
    } else {
      shardNames = names.filter((n) => n.endsWith('.safetensors')).sort();
    }
    if (shardNames.length === 0) throw new ModelError('a Hugging Face folder needs model.safetensors beside config.json', 'config.json');
    for (const s of shardNames) if (!map.has(s)) throw new ModelError(`shard ${s} listed in the index is missing`, 'model.safetensors.index.json');
    const weights = await openSafetensors(await Promise.all(shardNames.map(open)), config);
    let tokenizer: Tokenizer | undefined;
    if (map.has('tokenizer.json')) {
      const tcfg = map.has('tokenizer_config.json') ? await readJson(await open('tokenizer_config.json'), 'tokenizer_config.json') : {};
      tokenizer = new HfTokenizer(await readJson(await open('tokenizer.json'), 'tokenizer.json'), tcfg);
    }
    return { weights, tokenizer };
  }

  // Single files: sniff the magic.
  const bins = names.filter((n) => !/tok/i.test(n));
  const toks = names.filter((n) => /tok/i.test(n) && n.endsWith('.bin'));
  const modelName = bins.length === 1 ? bins[0]! : names.length === 1 ? names[0]! : undefined;
  if (!modelName) throw new ModelError(`cannot tell which file is the model among: ${names.join(', ')}`);
  const src = await open(modelName);
  const head = await sniff(src);
  if (head.length >= 4 && head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46) return openGgufModel(src);
  if (head.length >= 8 && head[7] === 0 && head[6] === 0 && head[5] === 0 && head[4] === 0 && (head[0]! | head[1]! | head[2]! | head[3]!) !== 0 && !toks.length) {
    // A small little-endian u64 (a safetensors header length) with no tokenizer beside: safetensors without its config.
    const maybeJson = await src.read(8, 1, 'safetensors header').catch(() => new Uint8Array(0));
    if (maybeJson[0] === 0x7b) throw new ModelError('a safetensors file needs the config.json of its Hugging Face folder beside it', modelName);
  }
  const weights = await openLlama2c(src);
  let tokenizer: Tokenizer | undefined;
  if (toks.length) {
    const tsrc = await open(toks[0]!);
    tokenizer = Llama2cTokenizer.fromBytes(await readAll(tsrc, 'tokenizer'), weights.config.vocabSize, toks[0]);
  }
  return { weights, tokenizer };
}

async function openGgufModel(src: ByteSource): Promise<LoadedModel> {
  const weights = await openGguf(src);
  const tokenizer = weights.header.metadata.has('tokenizer.ggml.tokens') ? Llama2cTokenizer.fromGguf(weights.header.metadata, src.name) : undefined;
  return { weights, tokenizer };
}
