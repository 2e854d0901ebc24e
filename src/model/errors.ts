/**
 * Typed errors for model files, configs and tokenizers. Every parser in src/model throws only these
 * (the fuzz tests assert it), each naming the file and the problem, so the UI can say what is wrong
 * with a user's model without a stack trace, and nothing already running is disturbed.
 */
import { GpuLimitError } from '../gpu';

/** Base class: something about a model's files or config is wrong. `file` names the file when known. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}

/** The file ends before a structure it declares (header, tensor data, string). */
export class TruncatedFileError extends ModelError {
  override name = 'TruncatedFileError';
  constructor(
    file: string | undefined,
    readonly what: string,
    readonly needed: number,
    readonly size: number,
  ) {
    super(`truncated file: ${what} needs bytes up to ${needed} but the file has ${size}`, file);
  }
}

/** A length field in a header points past the end of the file or is absurd (e.g. a 2^60-byte header). */
export class HeaderLengthError extends ModelError {
  override name = 'HeaderLengthError';
  constructor(
    file: string | undefined,
    readonly what: string,
    readonly length: number | bigint,
    readonly limit: number,
  ) {
    super(`${what} length ${length} is past the end of the file or above the limit (${limit})`, file);
  }
}

/** The bytes are not the format they were taken for (wrong magic, bad JSON, wrong version...). */
export class BadFormatError extends ModelError {
  override name = 'BadFormatError';
}

/** A tensor's dtype is not one we can load (names the dtype as the file spells it). */
export class UnknownDtypeError extends ModelError {
  override name = 'UnknownDtypeError';
  constructor(
    file: string | undefined,
    readonly tensor: string,
    readonly dtype: string,
  ) {
    super(`tensor '${tensor}' has dtype ${dtype}, which this loader does not support (f32, f16, bf16, q8_0)`, file);
  }
}

/** A tensor's shape disagrees with the model config. */
export class ShapeMismatchError extends ModelError {
  override name = 'ShapeMismatchError';
  constructor(
    file: string | undefined,
    readonly tensor: string,
    readonly expected: readonly number[],
    readonly actual: readonly number[],
  ) {
    super(`tensor '${tensor}' has shape [${actual.join(', ')}] but the config needs [${expected.join(', ')}]`, file);
  }
}

/** A tensor the model needs is not in the file. */
export class MissingTensorError extends ModelError {
  override name = 'MissingTensorError';
  constructor(
    file: string | undefined,
    readonly tensor: string,
  ) {
    super(`missing tensor '${tensor}'`, file);
  }
}

/** The model config is impossible (heads not dividing, zero sizes, ...); `field` names the culprit. */
export class ModelConfigError extends ModelError {
  override name = 'ModelConfigError';
  constructor(
    readonly field: string,
    message: string,
    file?: string,
  ) {
    super(`config ${field}: ${message}`, file);
  }
}

/** A tokenizer file is malformed or a token id is out of range. */
export class TokenizerError extends ModelError {
  override name = 'TokenizerError';
}

/** Fetching a model failed (HTTP status, network). */
export class ModelFetchError extends ModelError {
  override name = 'ModelFetchError';
}

/** The model does not fit this device: names the WebGPU limit (e.g. maxStorageBufferBindingSize) and the tensor. */
export class ModelTooLargeError extends GpuLimitError {
  override name = 'ModelTooLargeError';
  constructor(
    limit: string,
    requested: number,
    allowed: number,
    readonly tensor: string,
  ) {
    super(limit, requested, allowed, `model tensor '${tensor}'`);
  }
}

/** True for the errors the model loaders are allowed to throw on bad input. */
export function isModelLoadError(e: unknown): e is ModelError | ModelTooLargeError {
  return e instanceof ModelError || e instanceof ModelTooLargeError;
}
