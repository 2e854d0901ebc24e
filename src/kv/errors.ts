/**
 * Typed errors of the memory and scheduling layers. Every error carries a stable `code` the UI can switch
 * on, and a message that says what was wrong and what the limit was.
 */

export type ServingErrorCode =
  | 'invalid-config'
  | 'pool-too-small'
  | 'pool-exhausted'
  | 'unknown-request'
  | 'unknown-model'
  | 'unknown-tenant'
  | 'invalid-request'
  | 'invalid-update';

export class ServingError extends Error {
  readonly code: ServingErrorCode;
  constructor(code: ServingErrorCode, message: string) {
    super(message);
    this.name = 'ServingError';
    this.code = code;
  }
}

/** A size or option that can never work (zero pages, negative budget, ...). Thrown at construction. */
export class ConfigError extends ServingError {
  constructor(message: string, code: ServingErrorCode = 'invalid-config') {
    super(code, message);
    this.name = 'ConfigError';
  }
}

/** Internal misuse of the page pool (allocating more pages than are free); a bug in the caller. */
export class PoolExhaustedError extends ServingError {
  constructor(message: string) {
    super('pool-exhausted', message);
    this.name = 'PoolExhaustedError';
  }
}

/** Throws a ConfigError unless `value` is a positive integer. */
export function requirePositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${String(value)}.`);
  }
}

/** Throws a ConfigError unless `value` is a non-negative integer. */
export function requireNonNegativeInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${String(value)}.`);
  }
}
