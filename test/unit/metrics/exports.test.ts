import { describe, expect, it } from 'vitest';
import { REQUEST_CSV_COLUMNS, TRACE_PID, chromeTrace, csvField, requestsCsv, type TraceEvent } from '../../../src/metrics/index';
import { parseCsv } from '../../../src/workload/index';
import { steps, timelines } from './fixture';

describe('CSV per request', () => {
  it('quotes fields with commas, quotes, line breaks or edge spaces; leaves the rest bare', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' pad')).toBe('" pad"');
    expect(csvField(null)).toBe('');
    expect(csvField(NaN)).toBe('');
    expect(csvField(80 / 3)).toBe('26.666667');
    expect(csvField(true)).toBe('true');
  });

  it('one row per request under the header, round-trips through an RFC 4180 reader', () => {
    const tl = timelines();
    tl[2]!.tenant = 'acme, "inc"';
    const text = requestsCsv(tl);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows.length).toBe(5);
    expect(rows[0]!.fields).toEqual([...REQUEST_CSV_COLUMNS]);
    const col = (name: (typeof REQUEST_CSV_COLUMNS)[number]) => REQUEST_CSV_COLUMNS.indexOf(name);
    const A = rows[1]!.fields, C = rows[3]!.fields, D = rows[4]!.fields;
    expect(A.length).toBe(REQUEST_CSV_COLUMNS.length);
    expect([A[col('id')], A[col('ttft_ms')], A[col('tpot_ms')], A[col('e2e_ms')], A[col('itl_mean_ms')], A[col('itl_max_ms')], A[col('met_slo')]]).toEqual(['A', '50', '26.666667', '130', '26.666667', '30', 'true']);
    expect(C[col('tenant')]).toBe('acme, "inc"');
    expect(C[col('tpot_ms')]).toBe(''); // one output token: no TPOT
    expect(C[col('met_slo')]).toBe('');
    expect([D[col('finish_reason')], D[col('arrival_ms')], D[col('first_scheduled_ms')], D[col('finish_ms')]]).toEqual(['cancelled', '100', '', '120']);
    expect(rows[2]!.fields[col('num_admissions')]).toBe('2');
  });
});

describe('Chrome trace', () => {
  const trace = chromeTrace(timelines(), steps(), { otherData: { adapter: 'test' } });
  const parsed = JSON.parse(JSON.stringify(trace)) as { traceEvents: TraceEvent[]; displayTimeUnit: string; otherData: unknown };
  const ev = parsed.traceEvents;
  const threadName = (pid: number, tid: number) => ev.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid && e.tid === tid)?.args?.name;

  it('is valid trace-event JSON: every event has name, ph, pid, tid, numeric ts; X events a dur >= 0', () => {
    expect(parsed.displayTimeUnit).toBe('ms');
    expect(parsed.otherData).toEqual({ adapter: 'test' });
    for (const e of ev) {
      expect(typeof e.name).toBe('string');
      expect(['X', 'M', 'C', 'i']).toContain(e.ph);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
      expect(Number.isFinite(e.ts)).toBe(true);
      if (e.ph === 'X') expect(e.dur).toBeGreaterThanOrEqual(0);
      if (e.ph === 'i') expect(e.s).toBe('t');
    }
    // Every (pid, tid) that carries events is named.
    for (const e of ev.filter((x) => x.ph !== 'M')) expect(threadName(e.pid, e.tid), `${e.pid}/${e.tid}`).toBeDefined();
    for (const pid of Object.values(TRACE_PID)) expect(ev.some((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === pid)).toBe(true);
  });

  it('one track per kernel, laid end to end from the step start (µs)', () => {
    const k = ev.filter((e) => e.pid === TRACE_PID.kernels && e.ph === 'X');
    expect(new Set(k.map((e) => threadName(e.pid, e.tid)))).toEqual(new Set(['matmul', 'attention', 'gpu']));
    // Origin = first arrival (0 ms). Step 1 starts at 60 ms: matmul 15 ms, attention 10 ms, matmul 3 ms.
    const s1 = k.filter((e) => e.args?.step === 1).map((e) => [e.name, e.ts, e.dur]);
    expect(s1).toEqual([['matmul', 60000, 15000], ['attention', 75000, 10000], ['matmul', 85000, 3000]]);
    // Step 2 has no kernel list: one "gpu" slice of its 20 ms.
    expect(k.filter((e) => e.args?.step === 2).map((e) => [e.name, e.ts, e.dur])).toEqual([['gpu', 110000, 20000]]);
    expect(k.filter((e) => e.name === 'matmul').every((e) => e.tid === k.find((x) => x.name === 'matmul')!.tid)).toBe(true);
  });

  it('one track for steps with counters, one per request with its phases', () => {
    const st = ev.filter((e) => e.pid === TRACE_PID.engine && e.ph === 'X');
    expect(st.map((e) => [e.name, e.ts, e.dur])).toEqual([['step 0', 10000, 50000], ['step 1', 60000, 50000], ['step 2', 110000, 110000]]);
    expect(threadName(TRACE_PID.engine, 1)).toBe('steps');
    expect(ev.filter((e) => e.ph === 'C' && e.name === 'KV slots').map((e) => e.args)).toEqual([{ allocated: 48, used: 38 }, { allocated: 64, used: 55 }, { allocated: 16, used: 9 }]);
    const req = (tid: number) => ev.filter((e) => e.pid === TRACE_PID.requests && e.tid === tid && e.ph !== 'M').map((e) => [e.name, e.ts, e.dur]);
    expect(threadName(TRACE_PID.requests, 1)).toBe('A (a)');
    // A: queued 0..10, prefill 10..50, decode 50..130 ms
    expect(req(1)).toEqual([['queued', 0, 10000], ['prefill', 10000, 40000], ['decode', 50000, 80000]]);
    // B re-admitted at 150 ms after its preemption.
    expect(req(2)).toContainEqual(['re-admitted', 150000, undefined]);
    // D: queued until cancelled at 120 ms, nothing else.
    expect(req(4)).toEqual([['queued', 100000, 20000]]);
  });

  it('token instants on request', () => {
    const t = chromeTrace(timelines(), [], { tokenEvents: true, originMs: 0 });
    expect(t.traceEvents.filter((e) => e.name === 'token').length).toBe(7);
  });
});
