/**
 * Trace replay from the published CSV formats.
 *
 * - Azure LLM inference traces (Azure/AzurePublicDataset, AzureLLMInferenceTrace_{code,conv}.csv):
 *   header `TIMESTAMP,ContextTokens,GeneratedTokens`; TIMESTAMP is a datetime such as
 *   `2023-11-16 18:15:46.6805900` (any number of fraction digits; optional `T` separator; optional `Z` or
 *   `+hh:mm` offset, taken as UTC when absent).
 * - splitwise / Vidur form: header `arrived_at,num_prefill_tokens,num_decode_tokens`, arrived_at in
 *   seconds (a decimal number).
 * Columns are found by header name (case-insensitive), so extra columns and any column order are fine.
 *
 * Times are made relative to the first data row (it arrives at t = 0), then divided by `speed` (2 = replay
 * twice as fast). Timestamps must be non-decreasing: the published traces are sorted, and an out-of-order
 * row more likely means a damaged file than a wish to reorder, so it is rejected rather than sorted.
 *
 * Rejected with a CsvError naming the 1-based line and the problem: a row whose field count differs from
 * the header's, an empty or unparsable timestamp, a token count that is not a non-negative integer, a prompt
 * of 0 tokens, a timestamp earlier than the previous row's. A row with 0 generated tokens (a failed request
 * in some traces) is skipped and listed in `skipped` by default (`zeroOutput: 'skip'`), or rejected
 * (`'reject'`), or replayed with max_tokens 1 (`'one'`).
 */
import { CsvError, parseCsv } from './csv';
import { Random } from './random';
import { appendRandomTokens, checkVocab } from './tokens';
import type { GeneratedRequest, WorkloadSlo } from './types';

export type TraceFormat = 'azure' | 'splitwise';

export interface TraceRow {
  /** 1-based line of the row in the file. */
  line: number;
  /** Seconds since the first row, after dividing by `speed`. */
  timeS: number;
  promptTokens: number;
  outputTokens: number;
}

export interface ParsedTrace {
  format: TraceFormat;
  rows: TraceRow[];
  skipped: { line: number; reason: string }[];
}

export interface TraceParseOptions {
  /** Default: detected from the header. */
  format?: TraceFormat | 'auto';
  /** Replay speed factor: times are divided by it. Default 1. */
  speed?: number;
  /** Keep at most this many rows (the first ones). Default all. */
  maxRequests?: number;
  /** What to do with rows of 0 generated tokens; default 'skip'. */
  zeroOutput?: 'skip' | 'reject' | 'one';
}

const COLUMNS: Record<TraceFormat, [time: string, prompt: string, output: string]> = {
  azure: ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'],
  splitwise: ['arrived_at', 'num_prefill_tokens', 'num_decode_tokens'],
};

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** A datetime as whole seconds since the Unix epoch plus a fraction in [0, 1) (kept apart for precision). */
export function parseTraceDatetime(s: string): { whole: number; frac: number } | null {
  const m = DATETIME.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, tz] = m;
  const year = +y!, month = +mo!, day = +d!, hour = +h!, minute = +mi!, second = +se!;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls Feb 30 over into March: reject dates that do not round-trip.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  let whole = ms / 1000;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offH = +digits.slice(0, 2), offM = +digits.slice(2, 4);
    if (offH > 23 || offM > 59) return null;
    whole -= sign * (offH * 3600 + offM * 60);
  }
  return { whole, frac: frac ? Number(`0${frac}`) : 0 };
}

const UINT = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function detectFormat(header: string[]): TraceFormat | null {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const f of ['azure', 'splitwise'] as const) {
    if (COLUMNS[f].every((c) => lower.includes(c.toLowerCase()))) return f;
  }
  return null;
}

export function parseTrace(text: string, opts: TraceParseOptions = {}): ParsedTrace {
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`parseTrace: speed must be a finite number > 0, got ${speed}`);
  const maxRequests = opts.maxRequests ?? Infinity;
  if (!(maxRequests === Infinity || (Number.isInteger(maxRequests) && maxRequests >= 0))) throw new RangeError(`parseTrace: maxRequests must be an integer >= 0, got ${maxRequests}`);
  const zeroOutput = opts.zeroOutput ?? 'skip';

  const records = parseCsv(text);
  const head = records[0];
  if (!head) throw new CsvError(1, 'empty trace: expected a header row');
  const detected = detectFormat(head.fields);
  const format = opts.format && opts.format !== 'auto' ? opts.format : detected;
  const expect = (f: TraceFormat) => COLUMNS[f].join(',');
  if (!format) throw new CsvError(head.line, `unknown trace header '${head.fields.join(',')}': expected ${expect('azure')} (Azure) or ${expect('splitwise')} (splitwise/Vidur)`);
  const lower = head.fields.map((h) => h.trim().toLowerCase());
  const [timeCol, promptCol, outputCol] = COLUMNS[format].map((c) => lower.indexOf(c.toLowerCase())) as [number, number, number];
  if (timeCol < 0 || promptCol < 0 || outputCol < 0) throw new CsvError(head.line, `header '${head.fields.join(',')}' lacks the ${format} columns ${expect(format)}`);
  const [timeName, promptName, outputName] = COLUMNS[format];

  const rows: TraceRow[] = [];
  const skipped: { line: number; reason: string }[] = [];
  let first: { whole: number; frac: number } | null = null;
  let prevT = -Infinity;
  let prevLine = 0;
  for (let r = 1; r < records.length && rows.length < maxRequests; r++) {
    const { line, fields } = records[r]!;
    if (fields.length !== head.fields.length) throw new CsvError(line, `expected ${head.fields.length} fields like the header, got ${fields.length}`);
    const timeText = fields[timeCol]!.trim();
    if (timeText === '') throw new CsvError(line, `empty ${timeName}`);
    let t: { whole: number; frac: number } | null;
    if (format === 'azure') {
      t = parseTraceDatetime(timeText);
      if (!t) throw new CsvError(line, `${timeName} '${timeText}' is not a datetime like 2023-11-16 18:15:46.6805900`);
    } else {
      const v = DECIMAL.test(timeText) ? Number(timeText) : NaN;
      if (!Number.isFinite(v)) throw new CsvError(line, `${timeName} '${timeText}' is not a non-negative number of seconds`);
      t = { whole: 0, frac: v };
    }
    const prompt = fields[promptCol]!.trim();
    const output = fields[outputCol]!.trim();
    if (!UINT.test(prompt)) throw new CsvError(line, `${promptName} '${prompt}' is not a non-negative integer`);
    if (!UINT.test(output)) throw new CsvError(line, `${outputName} '${output}' is not a non-negative integer`);
    const promptTokens = Number(prompt);
    let outputTokens = Number(output);
    if (promptTokens === 0) throw new CsvError(line, `${promptName} is 0: a request needs at least one prompt token`);
    first ??= t;
    const rel = t.whole - first.whole + (t.frac - first.frac);
    if (rel < prevT) throw new CsvError(line, `${timeName} '${timeText}' is earlier than line ${prevLine}'s: rows must be sorted by time`);
    prevT = rel;
    prevLine = line;
    if (outputTokens === 0) {
      if (zeroOutput === 'reject') throw new CsvError(line, `${outputName} is 0 (pass zeroOutput 'skip' or 'one' to replay such traces)`);
      if (zeroOutput === 'skip') {
        skipped.push({ line, reason: `${outputName} is 0` });
        continue;
      }
      outputTokens = 1;
    }
    rows.push({ line, timeS: rel / speed, promptTokens, outputTokens });
  }
  return { format, rows, skipped };
}

export interface TraceReplayOptions {
  seed: number;
  vocabSize: number;
  firstTokenId?: number;
  model?: string;
  tenant?: string;
  priority?: number;
  slo?: WorkloadSlo;
  sampling?: { temperature?: number; topP?: number; topK?: number };
  idPrefix?: string;
}

/**
 * Requests for the rows of a parsed trace: synthetic prompt ids of the row's length (stream `tokens/i`),
 * max_tokens = the row's output tokens, n = 1. Traces carry no prompt text, so no prefix sharing is implied.
 */
export function traceToRequests(trace: ParsedTrace, o: TraceReplayOptions): GeneratedRequest[] {
  checkVocab(o);
  const root = new Random(o.seed);
  const seedRng = root.fork('sampling-seed');
  const idPrefix = o.idPrefix ?? 'trace-';
  return trace.rows.map((row, i): GeneratedRequest => {
    const req: GeneratedRequest = {
      requestId: `${idPrefix}${i}`,
      arrivalTimeS: row.timeS,
      tenant: o.tenant ?? 'default',
      model: o.model ?? 'default',
      promptTokenIds: appendRandomTokens(root.fork(`tokens/${i}`), row.promptTokens, o, []),
      maxTokens: row.outputTokens,
      n: 1,
      sampling: { temperature: o.sampling?.temperature ?? 1, topP: o.sampling?.topP ?? 1, topK: o.sampling?.topK ?? 0, seed: seedRng.nextUint32() },
      priority: o.priority ?? 0,
      sharedPrefix: null,
    };
    if (o.slo) req.slo = { ...o.slo };
    return req;
  });
}
