/**
 * The configuration in the URL, as readable query parameters (only the ones that differ from the
 * defaults), so a shared link restores the run: `?pages=4096&policy=fair-share&seed=7&t=chat:1:0:0:500:50:2`.
 * Unknown parameters are ignored; a value of the wrong type is reported and the default kept.
 */
import { cloneConfig, type PlaygroundConfig, type TenantSetting } from './config';
import { setPath } from '../controls/fields';

type Kind = 'int' | 'num' | 'bool' | 'str';

/** Short key -> [path in the config, kind]. */
const KEYS: Record<string, [string, Kind]> = {
  backend: ['backend', 'str'],
  gpu: ['simGpu', 'str'],
  model: ['model', 'str'],
  gpumodel: ['gpuModel', 'str'],
  murl: ['modelUrl', 'str'],
  mfiles: ['modelFiles', 'str'],
  batching: ['batching', 'str'],
  pages: ['numPages', 'int'],
  tpp: ['tokensPerPage', 'int'],
  budget: ['maxNumBatchedTokens', 'int'],
  seqs: ['maxNumSeqs', 'int'],
  maxlen: ['maxModelLen', 'int'],
  chunked: ['enableChunkedPrefill', 'bool'],
  prefix: ['enablePrefixCaching', 'bool'],
  preempt: ['preemptionMode', 'str'],
  swap: ['numHostSwapPages', 'int'],
  alloc: ['allocator', 'str'],
  queue: ['queuePolicy', 'str'],
  policy: ['sharingPolicy', 'str'],
  speed: ['speed', 'num'],
  seed: ['workload.seed', 'int'],
  n_req: ['workload.numRequests', 'int'],
  arrival: ['workload.arrival', 'str'],
  rate: ['workload.rate', 'num'],
  users: ['workload.users', 'int'],
  text: ['workload.textPrompts', 'bool'],
  pmode: ['workload.parallelMode', 'str'],
  burst: ['workload.burstiness', 'num'],
  plen: ['workload.prompt.kind', 'str'],
  pmin: ['workload.prompt.min', 'int'],
  pmax: ['workload.prompt.max', 'int'],
  olen: ['workload.output.kind', 'str'],
  omin: ['workload.output.min', 'int'],
  omax: ['workload.output.max', 'int'],
  shared: ['workload.sharedPrefixRatio', 'num'],
  slen: ['workload.sharedPrefixLength', 'int'],
  par: ['workload.parallelRatio', 'num'],
  n: ['workload.n', 'int'],
};

const ENUMS: Record<string, readonly string[]> = {
  backend: ['simulated', 'gpu'],
  gpuModel: ['builtin', 'synthetic-tiny', 'url'],
  batching: ['continuous', 'static'],
  'workload.parallelMode': ['n', 'gang', 'independent'],
  preemptionMode: ['recompute', 'swap'],
  allocator: ['paged', 'contiguous'],
  queuePolicy: ['fcfs', 'priority', 'longest-prefix'],
  sharingPolicy: ['time-slice', 'partition', 'fair-share', 'priority'],
  'workload.arrival': ['closed', 'poisson', 'gamma', 'fixed', 'infinite'],
  'workload.prompt.kind': ['fixed', 'uniform', 'sharegpt'],
  'workload.output.kind': ['fixed', 'uniform', 'sharegpt'],
};

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

const TENANT_FIELDS: Array<keyof TenantSetting> = ['id', 'weight', 'priority', 'pages', 'sloTtftMs', 'sloTpotMs', 'share'];

function encodeTenant(t: TenantSetting): string {
  return TENANT_FIELDS.map((f) => String(t[f])).join(':');
}

function decodeTenant(s: string): TenantSetting | null {
  const parts = s.split(':');
  if (parts.length !== TENANT_FIELDS.length || !parts[0]) return null;
  const nums = parts.slice(1).map(Number);
  if (nums.some((x) => !Number.isFinite(x))) return null;
  const [weight, priority, pages, sloTtftMs, sloTpotMs, share] = nums as [number, number, number, number, number, number];
  return { id: parts[0], weight, priority, pages, sloTtftMs, sloTpotMs, share };
}

/** Query string (without '?') of the fields of `c` that differ from `defaults`. */
export function configToUrl(c: PlaygroundConfig, defaults: PlaygroundConfig): string {
  const q = new URLSearchParams();
  for (const [key, [path, kind]] of Object.entries(KEYS)) {
    const v = getPath(c, path);
    if (v === getPath(defaults, path)) continue;
    q.set(key, kind === 'bool' ? (v ? '1' : '0') : String(v));
  }
  const t = c.tenants.map(encodeTenant).join(',');
  if (t !== defaults.tenants.map(encodeTenant).join(',')) q.set('t', t);
  return q.toString();
}

/** The configuration a query string describes (defaults for what it leaves out), and what was ignored. */
export function configFromUrl(search: string, defaults: PlaygroundConfig): { config: PlaygroundConfig; problems: string[] } {
  const q = new URLSearchParams(search);
  const c = cloneConfig(defaults);
  const problems: string[] = [];
  for (const [key, raw] of q) {
    if (key === 't') {
      const ts = raw.split(',').map(decodeTenant);
      if (ts.some((t) => t === null) || ts.length === 0) problems.push(`t=${raw} (tenants are name:weight:priority:pages:ttft:tpot:share, comma-separated)`);
      else c.tenants = ts as TenantSetting[];
      continue;
    }
    const spec = KEYS[key];
    if (!spec) continue;
    const [path, kind] = spec;
    let v: unknown = raw;
    if (kind === 'int' || kind === 'num') {
      const x = Number(raw);
      if (!Number.isFinite(x) || (kind === 'int' && !Number.isInteger(x))) {
        problems.push(`${key}=${raw} (not a ${kind === 'int' ? 'whole number' : 'number'})`);
        continue;
      }
      v = x;
    } else if (kind === 'bool') {
      if (raw !== '0' && raw !== '1') {
        problems.push(`${key}=${raw} (use 0 or 1)`);
        continue;
      }
      v = raw === '1';
    } else if (ENUMS[path] && !ENUMS[path]!.includes(raw)) {
      problems.push(`${key}=${raw} (one of ${ENUMS[path]!.join(', ')})`);
      continue;
    }
    setPath(c, path, v);
  }
  return { config: c, problems };
}
