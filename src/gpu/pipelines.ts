/**
 * Shader modules and compute pipelines, created once and reused. A pipeline is keyed by its shader
 * source, entry point, override constants and layout, so two kernels that share a shader with
 * different tile sizes get two pipelines and the same request twice gets the same object.
 */
import { GpuValidationError } from './errors';

export interface ComputePipelineSpec {
  label: string;
  code: string;
  entryPoint?: string;
  /** WGSL `override` values (tile sizes, head dim, ...). */
  constants?: Record<string, number>;
  /** An explicit layout to share bind groups between pipelines; `auto` otherwise. */
  layout?: GPUPipelineLayout | 'auto';
}

export interface CompilationMessage {
  type: GPUCompilationMessageType;
  message: string;
  line: number;
  col: number;
}

/** Throws a GpuValidationError listing every error-level compilation message, with line:col. */
export async function checkCompilation(module: GPUShaderModule, label: string): Promise<CompilationMessage[]> {
  const info = await module.getCompilationInfo();
  const messages = info.messages.map((m) => ({ type: m.type, message: m.message, line: m.lineNum, col: m.linePos }));
  const errors = messages.filter((m) => m.type === 'error');
  if (errors.length) {
    throw new GpuValidationError(label, errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  }
  return messages;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly codeIds = new Map<string, number>();
  private readonly layoutIds = new WeakMap<GPUPipelineLayout, number>();
  private nextLayoutId = 1;
  /** Counts for tests and the kernel profile: a hot path that creates pipelines shows up here. */
  numCreated = 0;
  numHits = 0;

  constructor(private readonly device: GPUDevice) {}

  module(code: string, label: string): GPUShaderModule {
    let m = this.modules.get(code);
    if (!m) {
      m = this.device.createShaderModule({ label, code });
      this.modules.set(code, m);
    }
    return m;
  }

  private key(spec: ComputePipelineSpec): string {
    let codeId = this.codeIds.get(spec.code);
    if (codeId === undefined) this.codeIds.set(spec.code, (codeId = this.codeIds.size));
    let layoutId = 0;
    if (spec.layout && spec.layout !== 'auto') {
      layoutId = this.layoutIds.get(spec.layout) ?? 0;
      if (!layoutId) this.layoutIds.set(spec.layout, (layoutId = this.nextLayoutId++));
    }
    const constants = spec.constants
      ? Object.keys(spec.constants).sort().map((k) => `${k}=${spec.constants![k]}`).join(',')
      : '';
    return `${codeId}|${spec.entryPoint ?? 'main'}|${constants}|${layoutId}`;
  }

  private descriptor(spec: ComputePipelineSpec): GPUComputePipelineDescriptor {
    return {
      label: spec.label,
      layout: spec.layout ?? 'auto',
      compute: {
        module: this.module(spec.code, spec.label),
        entryPoint: spec.entryPoint ?? 'main',
        ...(spec.constants ? { constants: spec.constants } : {}),
      },
    };
  }

  private remember(key: string, pipeline: GPUComputePipeline): GPUComputePipeline {
    this.pipelines.set(key, pipeline);
    this.numCreated++;
    return pipeline;
  }

  private hit(key: string): GPUComputePipeline | undefined {
    const p = this.pipelines.get(key);
    if (p) this.numHits++;
    return p;
  }

  /** The pipeline for `spec`, created synchronously the first time. */
  compute(spec: ComputePipelineSpec): GPUComputePipeline {
    const key = this.key(spec);
    return this.hit(key) ?? this.remember(key, this.device.createComputePipeline(this.descriptor(spec)));
  }

  /** Same as `compute` but compiles off the main thread where the implementation can. */
  async computeAsync(spec: ComputePipelineSpec): Promise<GPUComputePipeline> {
    const key = this.key(spec);
    return this.hit(key) ?? this.remember(key, await this.device.createComputePipelineAsync(this.descriptor(spec)));
  }
}
