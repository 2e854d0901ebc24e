import { describe, expect, test } from 'vitest';
import { LESSONS, lessonConfig, liveTtftP50 } from '../../../src/ui/lessons/lessons';
import { SIMULATED_DEFAULT, toEngineSetup, toWorkloadOptions } from '../../../src/ui/state/config';
import { validateConfig } from '../../../src/ui/state/validate';
import { TelemetryStore } from '../../../src/ui/state/telemetry-store';
import type { TelemetryBatch } from '../../../src/engine/service';

describe('lessons', () => {
  test('seven lessons; every variant is a valid simulated configuration', () => {
    expect(LESSONS.map((l) => l.id)).toEqual(['paged-vs-contiguous', 'static-batching', 'chunked-prefill', 'prefix-caching', 'preemption', 'two-tenants', 'gang-admission']);
    for (const l of LESSONS) {
      l.variants.forEach((_, i) => {
        const c = lessonConfig(SIMULATED_DEFAULT, l, i);
        expect(c.backend, l.id).toBe('simulated');
        expect(validateConfig(c), `${l.id} variant ${i}`).toEqual({});
      });
    }
    const batching = LESSONS.find((l) => l.id === 'static-batching')!;
    expect(toEngineSetup(lessonConfig(SIMULATED_DEFAULT, batching, 1)).scheduler.batching).toBe('static');
    const gang = LESSONS.find((l) => l.id === 'gang-admission')!;
    expect([0, 1, 2].map((i) => toWorkloadOptions(lessonConfig(SIMULATED_DEFAULT, gang, i), false).parallel)).toEqual([undefined, 'gang', 'independent']);
  });

  test('live TTFT p50 counts a request still waiting at its wait so far; samples are left out', () => {
    const s = new TelemetryStore();
    const batch: TelemetryBatch = {
      epoch: 0,
      loop: 'running',
      records: [],
      events: [
        { kind: 'queued', requestId: 'a', tenant: 't', time: 0 },
        { kind: 'queued', requestId: 'b', tenant: 't', time: 0 },
        { kind: 'queued', requestId: 'c', tenant: 't', time: 100 },
        { kind: 'token', requestId: 'a', tokenIds: [5], time: 10 },
        { kind: 'token', requestId: 'a#1', tokenIds: [5], time: 10 },
      ],
    };
    s.ingest(batch);
    s.nowMs = 1000;
    // a: 10 ms; b: waiting 1000 ms; c: waiting 900 ms -> p50 900 (the TTFT of first tokens alone would say 10).
    expect(liveTtftP50(s)).toBe(900);
    expect(liveTtftP50(new TelemetryStore())).toBeNull();
  });
});
