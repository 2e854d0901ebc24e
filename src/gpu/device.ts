/**
 * Adapter and device acquisition for any WebGPU implementation: Chrome's `navigator.gpu` or Dawn's
 * in Node (the `webgpu` package). Nothing here touches the DOM; the caller passes the `GPU` object.
 *
 * We ask for the optional features the kernels can use (shader-f16, subgroups, timestamp-query) and
 * raise the limits that bound kernel size (storage buffer binding size, workgroup storage and
 * invocations) to what the adapter allows, then report exactly what was granted.
 */
import { DeviceLostError, WebGpuUnavailableError } from './errors';

/** Features used when present; the code runs without any of them. */
export const WANTED_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

/** Limits raised to the adapter's maximum: each bounds how large a buffer or tile a kernel may use. */
export const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type RaisedLimit = (typeof RAISED_LIMITS)[number];

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `core` WebGPU, or `compatibility` (e.g. Dawn's OpenGL ES backend), which lacks some features and has lower limits. */
  featureLevel: 'core' | 'compatibility';
  /** True for software adapters (SwiftShader), whose timings say nothing about a GPU. */
  isSoftware: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
  /** Optional features this device was granted. */
  features: ReadonlySet<string>;
  /** The granted values of the limits we raise. */
  limits: Readonly<Record<RaisedLimit, number>>;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
  /** Resolves once, when the device is lost (also after `destroy()`, with reason `destroyed`). */
  lost: Promise<DeviceLostError>;
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Force compatibility mode (Dawn's GL backend offers nothing else). Default: try core, then compatibility. */
  featureLevel?: 'core' | 'compatibility';
  /** Drop optional features (tests use this to exercise the fallback paths). */
  disableFeatures?: GPUFeatureName[];
  label?: string;
}

const HOW_TO_ENABLE =
  'WebGPU needs Chrome or Edge 113+ on Windows, macOS or ChromeOS, Chrome 121+ on Android, or Safari 26+. ' +
  'On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan (or enable ' +
  'chrome://flags/#enable-unsafe-webgpu). Firefox 141+ has it on Windows. Check chrome://gpu for "WebGPU: Hardware accelerated".';

export function describeAdapter(adapter: GPUAdapter, featureLevel: 'core' | 'compatibility'): AdapterSummary {
  const info = adapter.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  const isSoftware =
    architecture === 'swiftshader' ||
    /swiftshader|llvmpipe|lavapipe|software|warp|basic render/i.test(`${description} ${info?.device ?? ''}`) ||
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  return { vendor, architecture, device: info?.device ?? '', description, featureLevel, isSoftware };
}

/** Requests an adapter: core first, then a compatibility-mode adapter where core is not offered. */
async function requestAdapter(gpu: GPU, opts: AcquireOptions): Promise<{ adapter: GPUAdapter; level: 'core' | 'compatibility' }> {
  const base: GPURequestAdapterOptions = { powerPreference: opts.powerPreference ?? 'high-performance' };
  if (opts.featureLevel !== 'compatibility') {
    const adapter = await gpu.requestAdapter({ ...base, featureLevel: 'core' });
    if (adapter) return { adapter, level: 'core' };
  }
  const adapter = await gpu.requestAdapter({ ...base, featureLevel: 'compatibility' });
  if (!adapter) {
    throw new WebGpuUnavailableError('WebGPU is present but offered no adapter (no usable GPU or driver).', HOW_TO_ENABLE);
  }
  // A compatibility request may still return a core-capable adapter; take core when it is there.
  const core = adapter.features.has('core-features-and-limits') && opts.featureLevel !== 'compatibility';
  return { adapter, level: core ? 'core' : 'compatibility' };
}

/**
 * Acquires an adapter and a device with the wanted features and raised limits.
 * @param gpu `navigator.gpu` in a browser, or `create([...])` from the `webgpu` package in Node.
 */
export async function acquireGpu(gpu: GPU | undefined | null, opts: AcquireOptions = {}): Promise<GpuContext> {
  if (!gpu) throw new WebGpuUnavailableError('This browser does not expose WebGPU (navigator.gpu is undefined).', HOW_TO_ENABLE);
  const { adapter, level } = await requestAdapter(gpu, opts);
  const skip = new Set(opts.disableFeatures ?? []);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f) && !skip.has(f));
  if (level === 'core' && adapter.features.has('core-features-and-limits')) requiredFeatures.push('core-features-and-limits');

  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({
    label: opts.label ?? 'ServingPlayground.device',
    requiredFeatures,
    requiredLimits,
  });

  const limits = {} as Record<RaisedLimit, number>;
  for (const name of RAISED_LIMITS) limits[name] = (device.limits as unknown as Record<string, number>)[name] ?? 0;
  // Iterate, not forEach: Dawn's Node binding implements GPUSupportedFeatures as an iterable only.
  const features = new Set<string>(device.features as unknown as Iterable<string>);
  const lost = device.lost.then((i) => new DeviceLostError(i.reason ?? 'unknown', i.message));
  return {
    device,
    adapter,
    info: describeAdapter(adapter, level),
    features,
    limits,
    hasF16: features.has('shader-f16'),
    hasSubgroups: features.has('subgroups'),
    hasTimestamps: features.has('timestamp-query'),
    lost,
  };
}

/** One line naming the adapter, printed by every test and benchmark run. */
export function adapterLine(info: AdapterSummary): string {
  const parts = [info.vendor || 'unknown vendor', info.architecture || 'unknown architecture'];
  if (info.description) parts.push(info.description);
  return `${parts.join(' / ')} (${info.featureLevel}${info.isSoftware ? ', software' : ''})`;
}
