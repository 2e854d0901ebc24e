import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseTrace, parseTraceDatetime, traceToRequests } from '../../../src/workload/index';

/** The error a parse throws (fails the test if it does not throw). */
function errorOf(f: () => unknown): CsvError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CsvError);
    return e as CsvError;
  }
  throw new Error('expected a CsvError');
}

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and line breaks inside quotes, CRLF, BOM, blank lines', () => {
    const text = '\ufeffa,b,c\r\n"x,1","say ""hi""",3\r\n\r\n"multi\nline",,\nlast,"",end';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x,1', 'say "hi"', '3'] },
      { line: 4, fields: ['multi\nline', '', ''] },
      { line: 6, fields: ['last', '', 'end'] },
    ]);
  });

  it('reports the line of an unclosed quote, a stray quote, junk after a closing quote', () => {
    expect(errorOf(() => parseCsv('a,b\n1,"open\n2,3')).message).toMatch(/^line 2: unclosed quoted field/);
    expect(errorOf(() => parseCsv('a,b\n1,2\n3,x"y')).line).toBe(3);
    expect(errorOf(() => parseCsv('a,b\n"1"x,2')).message).toMatch(/line 2: unexpected character 'x' after the closing quote/);
  });
});

const AZURE = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:15:46.6805900,4808,10',
  '2023-11-16 18:15:47.1805900,3180,8',
  '2023-11-16 18:15:50.0000000,110,27',
  '"2023-11-16 18:16:00",7,1',
].join('\n');

describe('Azure LLM inference traces', () => {
  it('times relative to the first row with sub-ms precision, token counts per row', () => {
    const t = parseTrace(AZURE);
    expect(t.format).toBe('azure');
    expect(t.rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    // 47.18059 - 46.68059 = 0.5; 50 - 46.68059 = 3.31941; 18:16:00 - 18:15:46.68059 = 13.31941
    const ts = t.rows.map((r) => r.timeS);
    expect(ts[0]).toBe(0);
    expect(ts[1]).toBeCloseTo(0.5, 9);
    expect(ts[2]).toBeCloseTo(3.31941, 9);
    expect(ts[3]).toBeCloseTo(13.31941, 9);
    expect(t.rows.map((r) => [r.promptTokens, r.outputTokens])).toEqual([[4808, 10], [3180, 8], [110, 27], [7, 1]]);
  });

  it('speed factor and max-requests cap', () => {
    const t = parseTrace(AZURE, { speed: 2, maxRequests: 2 });
    expect(t.rows.length).toBe(2);
    expect(t.rows[1]!.timeS).toBeCloseTo(0.25, 9); // 0.5 s / speed 2
    expect(() => parseTrace(AZURE, { speed: 0 })).toThrow(/speed/);
  });

  it('datetimes: midnight crossing, offsets, invalid calendar dates', () => {
    const a = parseTraceDatetime('2024-05-10 23:59:59.5')!;
    const b = parseTraceDatetime('2024-05-11T00:00:00.25Z')!;
    expect(b.whole - a.whole + (b.frac - a.frac)).toBeCloseTo(0.75, 9);
    const c = parseTraceDatetime('2024-05-11 02:00:00+02:00')!; // = 00:00:00 UTC
    expect(c.whole).toBe(b.whole);
    expect(parseTraceDatetime('2023-02-30 00:00:00')).toBeNull();
    expect(parseTraceDatetime('2023-11-16 24:00:00')).toBeNull();
    expect(parseTraceDatetime('16/11/2023 18:15')).toBeNull();
  });

  it('rejects malformed rows with the line number and the problem', () => {
    const bad = (row: string) => errorOf(() => parseTrace(`TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,10,5\n${row}\n2023-11-16 18:20:00,1,1`));
    expect(bad('2023-11-16 18:15:47,10').message).toBe('line 3: expected 3 fields like the header, got 2');
    expect(bad('yesterday,10,5').message).toMatch(/^line 3: TIMESTAMP 'yesterday' is not a datetime/);
    expect(bad('2023-11-16 18:15:47,12.5,5').message).toBe("line 3: ContextTokens '12.5' is not a non-negative integer");
    expect(bad('2023-11-16 18:15:47,10,-3').message).toBe("line 3: GeneratedTokens '-3' is not a non-negative integer");
    expect(bad('2023-11-16 18:15:47,,5').message).toMatch(/line 3: ContextTokens '' is not/);
    expect(bad(',10,5').message).toBe('line 3: empty TIMESTAMP');
    expect(bad('2023-11-16 18:15:47,0,5').message).toMatch(/line 3: ContextTokens is 0/);
    expect(bad('2023-11-16 18:15:45,10,5').message).toBe("line 3: TIMESTAMP '2023-11-16 18:15:45' is earlier than line 2's: rows must be sorted by time");
    expect(bad('2023-02-30 18:15:47,10,5').line).toBe(3);
  });

  it('rows of 0 generated tokens: skipped (default), rejected or replayed with 1', () => {
    const text = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,10,5\n2023-11-16 18:15:47,10,0\n';
    expect(parseTrace(text).skipped).toEqual([{ line: 3, reason: 'GeneratedTokens is 0' }]);
    expect(parseTrace(text).rows.length).toBe(1);
    expect(errorOf(() => parseTrace(text, { zeroOutput: 'reject' })).line).toBe(3);
    expect(parseTrace(text, { zeroOutput: 'one' }).rows[1]!.outputTokens).toBe(1);
  });

  it('unknown headers and empty files are rejected on line 1', () => {
    expect(errorOf(() => parseTrace('time,in,out\n1,2,3')).message).toMatch(/^line 1: unknown trace header 'time,in,out': expected TIMESTAMP,ContextTokens,GeneratedTokens/);
    expect(errorOf(() => parseTrace('')).message).toMatch(/line 1: empty trace/);
    expect(errorOf(() => parseTrace('a,b\n1,2', { format: 'azure' })).message).toMatch(/lacks the azure columns/);
  });
});

describe('splitwise / Vidur traces', () => {
  it('arrived_at seconds relative to the first row; extra columns and any order', () => {
    const text = 'num_decode_tokens,arrived_at,extra,num_prefill_tokens\r\n20,10.5,x,100\r\n30,11.25,y,200\r\n40,14,z,5\r\n';
    const t = parseTrace(text, { speed: 0.5 }); // half speed: gaps double
    expect(t.format).toBe('splitwise');
    expect(t.rows.map((r) => [r.timeS, r.promptTokens, r.outputTokens])).toEqual([[0, 100, 20], [1.5, 200, 30], [7, 5, 40]]);
  });

  it('rejects bad numbers with line numbers', () => {
    const head = 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n';
    expect(errorOf(() => parseTrace(`${head}abc,1,1`)).message).toBe("line 3: arrived_at 'abc' is not a non-negative number of seconds");
    expect(errorOf(() => parseTrace(`${head}-1,1,1`)).line).toBe(3);
    expect(errorOf(() => parseTrace(`${head}1,1,1e3`)).message).toMatch(/num_decode_tokens '1e3' is not a non-negative integer/);
  });
});

describe('traceToRequests', () => {
  it('one request per row with the row lengths, deterministic synthetic prompts', () => {
    const t = parseTrace(AZURE);
    const opts = { seed: 5, vocabSize: 32000, model: 'llama', tenant: 'azure', slo: { ttftMs: 2000 } };
    const reqs = traceToRequests(t, opts);
    expect(reqs.map((r) => r.promptTokenIds.length)).toEqual([4808, 3180, 110, 7]);
    expect(reqs.map((r) => r.maxTokens)).toEqual([10, 8, 27, 1]);
    expect(reqs[1]).toMatchObject({ requestId: 'trace-1', tenant: 'azure', model: 'llama', n: 1, slo: { ttftMs: 2000 }, sharedPrefix: null });
    expect(reqs[1]!.arrivalTimeS).toBeCloseTo(0.5, 9);
    expect(traceToRequests(t, opts)).toEqual(reqs);
    expect(traceToRequests(t, { ...opts, seed: 6 })[0]!.promptTokenIds).not.toEqual(reqs[0]!.promptTokenIds);
  });
});
