/**
 * src/model: Llama-family model config, weight formats, tokenizers, the plain-TS reference forward pass,
 * synthetic models and the download cache. (The GPU model runner will live here too.)
 *
 * Formats (openModel in load.ts sniffs which):
 *   - Hugging Face folder: config.json + model.safetensors (or shards + model.safetensors.index.json;
 *     F32 / F16 / BF16 tensors) + tokenizer.json (+ tokenizer_config.json). RoPE 'rotate-half'.
 *   - GGUF v2/v3 (llama.cpp): F32 / F16 / BF16 as stored, Q8_0 dequantized to f32 on load; tokenizer
 *     from tokenizer.ggml.* metadata. RoPE 'interleaved'.
 *   - llama2.c version-0 checkpoint (.bin, f32) + its tokenizer.bin. RoPE 'interleaved'.
 *   - synthetic: random weights of any Llama shape from a seed (config.synthetic = true).
 * Every format yields a WeightSource: the config, a manifest of tensors, and an async iterator that reads
 * one tensor at a time (file order, streamed from a URL, sliced from a Blob, or viewed in an ArrayBuffer).
 *
 * Canonical tensor names (row-major, matrices [out_features, in_features], y = W x; q = numHeads*headDim,
 * kv = numKvHeads*headDim):
 *   embed [vocab, dim]; final_norm [dim]; lm_head [vocab, dim] (absent when config.tiedEmbeddings);
 *   per layer i: layers.{i}.attn_norm [dim], layers.{i}.attn.wq [q, dim], layers.{i}.attn.wk [kv, dim],
 *   layers.{i}.attn.wv [kv, dim], layers.{i}.attn.wo [dim, q], layers.{i}.ffn_norm [dim],
 *   layers.{i}.ffn.w_gate [hidden, dim], layers.{i}.ffn.w_up [hidden, dim], layers.{i}.ffn.w_down [dim, hidden].
 * q/k rows stay in the file's order: apply RoPE with config.ropeConvention (interleaved pairs (2i, 2i+1),
 * or rotate-half pairs (i, i + headDim/2)); both give the same model.
 *
 * Errors: every loader throws ModelError subclasses (TruncatedFileError, HeaderLengthError, BadFormatError,
 * UnknownDtypeError, ShapeMismatchError, MissingTensorError, ModelConfigError, TokenizerError,
 * ModelFetchError) or ModelTooLargeError (a GpuLimitError naming the WebGPU limit) from checkDeviceLimits.
 */
export * from './errors';
export * from './config';
export * from './dtype';
export * from './bytes';
export * from './weights';
export * from './file-tensors';
export * from './llama2c';
export * from './safetensors';
export * from './gguf';
export * from './load';
export * from './limits';
export * from './tokenizer';
export * from './tokenizer-llama2c';
export * from './tokenizer-hf';
export * from './reference';
export * from './synthetic';
export * from './sha256';
export * from './cache';
export * from './write';
