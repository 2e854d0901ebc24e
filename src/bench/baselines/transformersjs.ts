/**
 * The transformers.js side of the baseline bench: loads an ONNX export (onnx-llama.ts) with
 * `AutoModelForCausalLM.from_pretrained(.., { device, dtype: 'fp32' })` exactly as a user would load a
 * Hub model, and runs greedy `model.generate`, timing every token as it streams out.
 *
 * Nothing leaves the machine: remote models are off, and the files transformers.js asks for
 * (config.json, generation_config.json, onnx/model.onnx) are answered from memory by `env.fetch`.
 * ONNX Runtime Web's .wasm comes from this repository's node_modules (the caller passes its bytes as
 * `wasmBinary`); its JS glue is the copy embedded in onnxruntime-web's bundle, so no CDN is touched.
 *
 * Only the bench imports this module (transformers.js must never reach the app bundle). In a browser it
 * runs ONNX Runtime Web (device 'webgpu': the WebGPU execution provider on a GPUDevice ONNX Runtime
 * requests itself from navigator.gpu); in Node (the unit tests) onnxruntime-node on the CPU.
 */
import { AutoModelForCausalLM, env, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import type { OnnxExport } from './onnx-llama';

/** Where the in-memory model files live, as far as transformers.js can tell. */
const LOCAL_ROOT = '/serving-playground-baseline/';
const files = new Map<string, Uint8Array>();
/** The adapter ONNX Runtime got from navigator.gpu (it asks once, for its one device). */
let ortAdapterInfo: string | null = null;
/** Every path transformers.js asked for, found or not (logged by the bench). */
export const requestedFiles: string[] = [];

/** The files of a model folder as transformers.js reads it, by path inside the folder. */
export function modelFolderFiles(ex: OnnxExport): Record<string, Uint8Array> {
  const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
  return { 'config.json': json(ex.config), 'generation_config.json': json(ex.generationConfig), 'onnx/model.onnx': ex.onnx };
}

function configureEnv(localDir: string | undefined, wasmBinary?: ArrayBuffer): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // From memory (browser) or, in Node where onnxruntime-node opens the model by path, from a folder.
  env.useFS = localDir !== undefined;
  env.useBrowserCache = false;
  env.useFSCache = false;
  env.useCustomCache = false;
  env.useWasmCache = false;
  env.localModelPath = localDir ?? LOCAL_ROOT;
  env.fetch = async (input: string | URL) => {
    const key = typeof input === 'string' ? input : input.pathname;
    requestedFiles.push(key);
    const body = files.get(key);
    if (!body) return new Response(`not served: ${key}`, { status: 404 });
    return new Response(body.slice().buffer, { status: 200, headers: { 'content-length': String(body.byteLength), 'content-type': 'application/octet-stream' } });
  };
  const wasm = env.backends.onnx.wasm;
  if (wasm && wasmBinary) {
    wasm.wasmBinary = wasmBinary;
    // transformers.js pointed these at a CDN when it was imported; no mjs URL = the glue embedded in the bundle.
    wasm.wasmPaths = {};
    wasm.proxy = false;
  }
}

export interface TransformersModel {
  model: PreTrainedModel;
  device: string;
  /** The GPUAdapter ONNX Runtime got from navigator.gpu (webgpu; ONNX Runtime asks once, for the device all its sessions share). */
  adapterInfo: string | null;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  device: 'webgpu' | 'cpu';
  /** Browser: the bytes of onnxruntime-web's ort-wasm-simd-threaded.asyncify.wasm, the build its WebGPU bundle loads. */
  wasmBinary?: ArrayBuffer;
  /**
   * Node: a folder holding `serving-playground/<key>/` as modelFolderFiles lays it out (the caller writes
   * it; onnxruntime-node opens model.onnx by path). Absent: the files are served from memory.
   */
  localDir?: string;
}

/** Loads the export under the model id `serving-playground/<key>`. */
export async function loadTransformersModel(key: string, ex: OnnxExport, o: LoadOptions): Promise<TransformersModel> {
  configureEnv(o.localDir, o.wasmBinary);
  const id = `serving-playground/${key}`;
  const folder = modelFolderFiles(ex);
  if (o.localDir === undefined) for (const [name, b] of Object.entries(folder)) files.set(`${LOCAL_ROOT}${id}/${name}`, b);
  // ONNX Runtime requests its own adapter and device from navigator.gpu; watch which adapter it gets.
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  const requestAdapter = gpu?.requestAdapter;
  if (gpu && requestAdapter && o.device === 'webgpu') {
    gpu.requestAdapter = async (opts?: GPURequestAdapterOptions) => {
      const a = await requestAdapter.call(gpu, opts);
      const i = a?.info;
      if (i) ortAdapterInfo = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ');
      return a;
    };
  }
  let model: PreTrainedModel;
  try {
    model = await AutoModelForCausalLM.from_pretrained(id, { device: o.device, dtype: 'fp32' });
  } finally {
    if (gpu && requestAdapter) gpu.requestAdapter = requestAdapter;
  }
  return {
    model,
    device: o.device,
    adapterInfo: o.device === 'webgpu' ? ortAdapterInfo : null,
    async dispose() {
      await model.dispose();
      for (const name of Object.keys(folder)) files.delete(`${LOCAL_ROOT}${id}/${name}`);
    },
  };
}

/** One greedy generation: the new tokens and the performance.now() at which each one came out. */
export interface TimedGeneration {
  tokens: number[];
  tokenTimes: number[];
  startMs: number;
  endMs: number;
}

/**
 * Greedy decoding of `maxNewTokens` tokens after `promptIds` (batch 1), with EOS ignored (eos_token_id
 * null), so every call does the same work as our engine's request with its EOS ids removed.
 */
export async function generateTimed(m: TransformersModel, promptIds: readonly number[], maxNewTokens: number): Promise<TimedGeneration> {
  const n = promptIds.length;
  const input_ids = new Tensor('int64', BigInt64Array.from(promptIds, (t) => BigInt(t)), [1, n]);
  const attention_mask = new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
  const tokens: number[] = [];
  const tokenTimes: number[] = [];
  let calls = 0;
  // generate() calls put() with the prompt first, then with each step's new token per batch row.
  const streamer = {
    put(value: bigint[][]) {
      if (calls++ === 0) return;
      const t = performance.now();
      for (const id of value[0] ?? []) {
        tokens.push(Number(id));
        tokenTimes.push(t);
      }
    },
    end() {},
  };
  const startMs = performance.now();
  await m.model.generate({
    input_ids,
    attention_mask,
    max_new_tokens: maxNewTokens,
    do_sample: false,
    eos_token_id: null,
    streamer,
  } as unknown as Parameters<PreTrainedModel['generate']>[0]);
  const endMs = performance.now();
  return { tokens, tokenTimes, startMs, endMs };
}
