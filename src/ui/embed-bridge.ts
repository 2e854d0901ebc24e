/**
 * The embed's postMessage API, for a course page that hosts the playground in an iframe.
 *
 * Messages in (from the parent window only, and only from an allowed origin; anything else is ignored):
 *   { type: 'sp:start' }                    start the configured workload
 *   { type: 'sp:run' } | { type: 'sp:pause' } | { type: 'sp:step' } | { type: 'sp:reset' }
 *   { type: 'sp:load-lesson', lesson: string, variant?: number }   opens and runs a lesson
 *   { type: 'sp:metrics' }                  answered with { type: 'sp:metrics-report', metrics }
 * Every accepted message is answered with { type: 'sp:ack', for: type } (or 'sp:error' with a reason).
 * Allowed origins: the embed's own, plus those listed in the `origins` query parameter (comma-separated,
 * exact origins such as https://course.example.org). `sp:ready` is posted to the parent once the bridge
 * listens, addressed to each allowed origin in turn (never to '*'), so only an allowed host receives it.
 */
import type { ServingPlayground } from './serving-playground';

const COMMANDS = new Set(['sp:start', 'sp:run', 'sp:pause', 'sp:step', 'sp:reset', 'sp:load-lesson', 'sp:metrics']);

export function allowedOrigins(search: string, own: string): Set<string> {
  const list = new URLSearchParams(search).get('origins');
  const out = new Set([own]);
  for (const o of (list ?? '').split(',').map((s) => s.trim())) {
    try {
      if (o && new URL(o).origin === o) out.add(o);
    } catch {
      /* not an origin: ignored */
    }
  }
  return out;
}

/** Key numbers of the run, small enough to post. */
function metricsOf(el: ServingPlayground) {
  const s = el.engine.store;
  const r = el.engine.report;
  return {
    steps: s.totals.steps,
    engineMs: s.nowMs,
    finished: s.totals.finished,
    outputTokens: s.totals.outputTokens,
    preemptions: s.totals.preemptions,
    simulated: el.engine.applied?.backend !== 'gpu',
    ttftMsP50: r?.overall.ttftMs.p50 ?? null,
    ttftMsP99: r?.overall.ttftMs.p99 ?? null,
    tpotMsP50: r?.overall.tpotMs.p50 ?? null,
    goodputPerS: r?.overall.goodput.requestsPerS ?? null,
  };
}

export function installEmbedBridge(el: ServingPlayground, win: Window = window): () => void {
  const allowed = allowedOrigins(win.location.search, win.location.origin);
  const onMessage = async (ev: MessageEvent) => {
    if (ev.source !== win.parent || !allowed.has(ev.origin)) return;
    const type = (ev.data as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !COMMANDS.has(type)) return;
    const reply = (msg: Record<string, unknown>) => (ev.source as Window).postMessage(msg, ev.origin);
    const en = el.engine;
    switch (type) {
      case 'sp:start':
        await en.startWorkload();
        break;
      case 'sp:run':
        await en.run();
        break;
      case 'sp:pause':
        await en.pause();
        break;
      case 'sp:step':
        await en.step();
        break;
      case 'sp:reset':
        if (en.applied) await en.apply(en.applied);
        break;
      case 'sp:load-lesson': {
        const lesson = (ev.data as { lesson?: unknown }).lesson;
        const variant = Number((ev.data as { variant?: unknown }).variant ?? 0) || 0;
        if (typeof lesson !== 'string' || !(await el.loadLesson(lesson, variant))) return reply({ type: 'sp:error', for: type, reason: `No lesson "${String(lesson)}".` });
        break;
      }
      case 'sp:metrics':
        await en.refreshMetrics(true);
        return reply({ type: 'sp:metrics-report', metrics: metricsOf(el) });
    }
    reply({ type: 'sp:ack', for: type });
  };
  win.addEventListener('message', onMessage);
  // Tell the host we listen; targetOrigin makes the browser deliver it only to an allowed origin.
  if (win.parent !== win) for (const o of allowed) win.parent.postMessage({ type: 'sp:ready' }, o);
  return () => win.removeEventListener('message', onMessage);
}
