/**
 * Which running request to preempt when pages run out. The scheduler passes the candidates (running
 * requests not yet scheduled this step, already filtered by the sharing policy) and preempts the one picked.
 *
 * Edge behaviour:
 * - `last-admitted`: the most recently admitted (vLLM's FCFS `running.pop()`). The requester itself is a
 *   candidate when it is the newest, so a request may preempt itself and retry later.
 * - `lowest-priority`: largest (priority value, arrival time), as vLLM's priority scheduling; ties by newest.
 * - `furthest-over-share`: the tenant furthest over its page quota ((used - quota) / max(quota, 1)); within
 *   it, the last admitted. Tenants under quota are picked only when nobody is over.
 */
import type { Request } from './request';

export type VictimPolicyName = 'last-admitted' | 'lowest-priority' | 'furthest-over-share';

export interface VictimContext {
  /** (pages used - quota) / max(quota, 1) of a tenant. */
  tenantOverShare(tenant: string): number;
}

export interface VictimPolicy {
  readonly name: VictimPolicyName;
  pick(candidates: readonly Request[], ctx: VictimContext): Request;
}

function best(cands: readonly Request[], better: (a: Request, b: Request) => boolean): Request {
  let v = cands[0]!;
  for (let i = 1; i < cands.length; i++) if (better(cands[i]!, v)) v = cands[i]!;
  return v;
}

const lastAdmitted: VictimPolicy = {
  name: 'last-admitted',
  pick: (c) => best(c, (a, b) => a.admitSeq > b.admitSeq),
};

const lowestPriority: VictimPolicy = {
  name: 'lowest-priority',
  pick: (c) =>
    best(c, (a, b) => a.priority > b.priority || (a.priority === b.priority && (a.arrivalTime > b.arrivalTime || (a.arrivalTime === b.arrivalTime && a.admitSeq > b.admitSeq)))),
};

const furthestOverShare: VictimPolicy = {
  name: 'furthest-over-share',
  pick(c, ctx) {
    const over = new Map<string, number>();
    for (const r of c) if (!over.has(r.tenant)) over.set(r.tenant, ctx.tenantOverShare(r.tenant));
    return best(c, (a, b) => {
      const oa = over.get(a.tenant)!;
      const ob = over.get(b.tenant)!;
      return oa > ob || (oa === ob && a.admitSeq > b.admitSeq);
    });
  },
};

const VICTIM_POLICIES: Record<VictimPolicyName, VictimPolicy> = {
  'last-admitted': lastAdmitted,
  'lowest-priority': lowestPriority,
  'furthest-over-share': furthestOverShare,
};
export const VICTIM_POLICY_NAMES = Object.keys(VICTIM_POLICIES) as VictimPolicyName[];

export function createVictimPolicy(name: VictimPolicyName): VictimPolicy {
  const p = VICTIM_POLICIES[name];
  if (!p) throw new Error(`Unknown victim policy "${String(name)}"; known: ${VICTIM_POLICY_NAMES.join(', ')}.`);
  return p;
}
