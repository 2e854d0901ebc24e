/**
 * Typed wrapper for the matmul family (shaders/matmul*.wgsl):
 *   y[M, N] = x[M, K] · W[N, K]^T  (+ r, or += into y in place), W in Hugging Face's [out, in] layout.
 *
 * The class owns its pipelines (one per variant × weight type × epilogue × skinny row bucket, made on
 * first use through the PipelineCache), one explicit bind group layout shared by every variant, a bind
 * group cache keyed by the buffers, and a ring of uniform slots for the shape parameters. `encode`
 * RECORDS one dispatch (two for a split-K tiled product: slices, then their sum) into the caller's
 * compute pass and never submits: the engine encodes every kernel of a step into one command buffer and
 * submits once.
 *
 * Split-K (tiled, when its grid is too small for the GPU: chooseSplitK) writes S partial products into a
 * workspace the class owns, and shaders/matmul_splitk_reduce.wgsl sums them into y with the epilogue.
 * The workspace is made on the first split and grows (to the next power of two of the bytes needed) only
 * when a larger split comes; a replaced one is kept until destroy(), since commands recorded but not yet
 * submitted may still use it. The automatic rule caps it at the config's splitK.maxWorkspaceBytes.
 *
 * Shape parameters live in uniform slots chosen by content: each distinct (M, N, KP, KS) gets a slot,
 * written once with queue.writeBuffer and bound with a dynamic offset, so the steady state writes
 * nothing. Slots are recycled least-recently-used; at most PARAM_SLOTS distinct shapes may be recorded
 * between two submits (a Llama step uses about 7 × 2).
 *
 * Variant choice: matmul_variant.ts (`chooseMatmulVariant`), tile sizes per adapter: `matmulConfigFor`.
 * Layout (K padding, packed f16): matmul_layout.ts and f16.ts. Reference: matmul_reference.ts.
 */
import tiledCode from '../../shaders/matmul_tiled.wgsl';
import skinnyCode from '../../shaders/matmul_skinny.wgsl';
import skinnySubgroupCode from '../../shaders/matmul_skinny_subgroups.wgsl';
import skinnyF16Code from '../../shaders/matmul_skinny.f16.wgsl';
import splitKReduceCode from '../../shaders/matmul_splitk_reduce.wgsl';
import { createBuffer, type GpuContext, type PipelineCache } from '../gpu';
import { matmulKStride } from './matmul_layout';
import {
  checkMatmulConfig,
  chooseMatmulVariant,
  chooseSplitK,
  matmulConfigFor,
  skinnyRows,
  splitOf,
  variantUnsupported,
  type MatmulConfig,
  type SplitK,
  type MatmulFeatures,
  type MatmulVariant,
  type MatmulWeightType,
} from './matmul_variant';

export * from './matmul_variant';
export * from './matmul_layout';
export { matmulReference } from './matmul_reference';

/** Distinct shapes that may be recorded between two submits (see the class comment). */
export const PARAM_SLOTS = 256;

export interface MatmulArgs {
  /** (M, KP) f32 activations, pad columns zero. */
  x: GPUBuffer;
  /** (N, KP) weights in the layout of `weightType` (matmul_layout.ts). */
  w: GPUBuffer;
  /** (M, N) f32 output. */
  y: GPUBuffer;
  M: number;
  N: number;
  K: number;
  weightType: MatmulWeightType;
  /**
   * Residual epilogue: a buffer r (M, N) gives y = x·W^T + r; passing `y` itself (or 'accumulate') gives
   * y += x·W^T in place (the residual stream), each element read and then written by one thread.
   */
  residual?: GPUBuffer | 'accumulate';
  /** Force a variant (tests, benchmarks); default: chooseMatmulVariant. */
  variant?: MatmulVariant;
  /** Tiled only: force S split-K slices (tests, benchmarks; 1 = no split); default: chooseSplitK. */
  splitK?: number;
}

/** What `encode` did, for traces and tests. */
export interface MatmulDispatch {
  variant: MatmulVariant;
  /** The product's grid (for a split: (…, …, S), the slices). */
  workgroups: [number, number, number];
  /** Split-K slices of the tiled variant (1: not split; skinny: 1). */
  split: number;
}

/** Threads per workgroup of the split-K reduction. */
const REDUCE_WG = 256;

const EPILOGUE_NONE = 0;
const EPILOGUE_ADD = 1;
const EPILOGUE_ACCUMULATE = 2;

export class MatmulKernel {
  readonly config: MatmulConfig;
  readonly features: MatmulFeatures;
  private readonly device: GPUDevice;
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly params: GPUBuffer;
  private readonly slotStride: number;
  /** Shape key -> slot, in least-recently-used-first order (Map keeps insertion order). */
  private readonly slots = new Map<string, number>();
  private readonly noResidual: GPUBuffer;
  /** Split-K partials (S, M, N); null until the first split. */
  private workspace: GPUBuffer | null = null;
  /** Workspaces replaced by a larger one: possibly used by recorded, unsubmitted commands; destroyed in destroy(). */
  private readonly retired: GPUBuffer[] = [];
  /** Counters for tests and the profile: a hot path that creates objects shows up here. */
  numBindGroupsCreated = 0;
  numParamWrites = 0;

  constructor(
    ctx: Pick<GpuContext, 'device' | 'info' | 'hasSubgroups' | 'hasF16'>,
    private readonly cache: PipelineCache,
    config?: MatmulConfig,
  ) {
    const { device } = ctx;
    this.device = device;
    this.config = config ?? matmulConfigFor(ctx.info);
    checkMatmulConfig(this.config, device.limits);
    this.features = { subgroups: ctx.hasSubgroups, shaderF16: ctx.hasF16 };
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    this.layout = device.createBindGroupLayout({
      label: 'Matmul.bindGroupLayout',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } },
        storage(1, 'read-only-storage'),
        storage(2, 'read-only-storage'),
        storage(3, 'read-only-storage'),
        storage(4, 'storage'),
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ label: 'Matmul.pipelineLayout', bindGroupLayouts: [this.layout] });
    this.slotStride = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.params = createBuffer(device, {
      label: 'Matmul.params',
      size: PARAM_SLOTS * this.slotStride,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    // Bound at binding 3 when there is no separate residual (the layout always has the slot).
    this.noResidual = createBuffer(device, { label: 'Matmul.noResidual', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /** The variant `encode` would run for this shape (automatic choice). */
  choose(M: number, N: number, K: number, weightType: MatmulWeightType): MatmulVariant {
    return chooseMatmulVariant(M, N, K, weightType, this.features, this.config.skinnyMaxM);
  }

  /** The split the tiled variant would use for this shape (automatic rule, or `force` slices). */
  splitFor(M: number, N: number, K: number, weightType: MatmulWeightType, force?: number): SplitK {
    const KP = matmulKStride(K, weightType);
    if (force !== undefined) {
      if (!(force >= 1) || !Number.isInteger(force)) throw new RangeError(`Matmul: splitK must be a whole number >= 1 (got ${force})`);
      return splitOf(KP, force, this.config.tiled.bk);
    }
    return chooseSplitK(M, N, KP, this.config);
  }

  /** The split-K workspace, grown to hold `bytes` (see the class comment). */
  private workspaceFor(bytes: number): GPUBuffer {
    if (this.workspace && this.workspace.size >= bytes) return this.workspace;
    if (this.workspace) this.retired.push(this.workspace);
    const size = Math.max(1 << 20, 2 ** Math.ceil(Math.log2(bytes)));
    this.workspace = createBuffer(this.device, { label: 'Matmul.splitKWorkspace', size, usage: GPUBufferUsage.STORAGE });
    return this.workspace;
  }

  /** The pipeline for a variant; created (synchronously, through the cache) on first use. */
  pipeline(variant: MatmulVariant, weightType: MatmulWeightType, epilogue: number, mr: number): GPUComputePipeline {
    const key = `${variant}|${weightType}|${epilogue}|${mr}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    const wf16 = weightType === 'f16' ? 1 : 0;
    const { tiled, skinny } = this.config;
    const label = `Matmul.${variant}.${weightType}.e${epilogue}${variant === 'tiled' ? '' : `.mr${mr}`}`;
    if (variant === 'tiled' && mr < 0) {
      // The split-K reduction (mr = -1 marks it; it has no weight type).
      p = this.cache.compute({ label: `Matmul.splitKReduce.e${epilogue}`, code: splitKReduceCode, layout: this.pipelineLayout, constants: { WG: REDUCE_WG, EPILOGUE: epilogue } });
    } else if (variant === 'tiled') {
      p = this.cache.compute({
        label,
        code: tiledCode,
        layout: this.pipelineLayout,
        constants: { WGX: tiled.wgx, WGY: tiled.wgy, TM: tiled.tm, TN: tiled.tn, BK: tiled.bk, WF16: wf16, EPILOGUE: epilogue },
      });
    } else {
      const code = variant === 'skinny-subgroup' ? skinnySubgroupCode : variant === 'skinny-f16' ? skinnyF16Code : skinnyCode;
      const constants: Record<string, number> = { WG: skinny.wg, MR: mr, EPILOGUE: epilogue };
      if (variant !== 'skinny-f16') constants['WF16'] = wf16;
      p = this.cache.compute({ label, code, layout: this.pipelineLayout, constants });
    }
    this.pipelines.set(key, p);
    return p;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** The bind group for these buffers, created once and reused. */
  private bindGroup(x: GPUBuffer, w: GPUBuffer, r: GPUBuffer, y: GPUBuffer): GPUBindGroup {
    const key = `${this.bufferId(x)},${this.bufferId(w)},${this.bufferId(r)},${this.bufferId(y)}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      bg = this.device.createBindGroup({
        label: 'Matmul.bindGroup',
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: this.params, offset: 0, size: 16 } },
          { binding: 1, resource: { buffer: x } },
          { binding: 2, resource: { buffer: w } },
          { binding: 3, resource: { buffer: r } },
          { binding: 4, resource: { buffer: y } },
        ],
      });
      this.bindGroups.set(key, bg);
      this.numBindGroupsCreated++;
    }
    return bg;
  }

  /** Byte offset of the uniform slot holding (M, N, KP, KS), writing it if this shape has none yet. */
  private paramOffset(M: number, N: number, KP: number, KS: number): number {
    const key = `${M},${N},${KP},${KS}`;
    let slot = this.slots.get(key);
    if (slot !== undefined) {
      this.slots.delete(key); // move to most recently used
    } else {
      if (this.slots.size < PARAM_SLOTS) {
        slot = this.slots.size;
      } else {
        const [oldKey, oldSlot] = this.slots.entries().next().value as [string, number];
        this.slots.delete(oldKey);
        slot = oldSlot;
      }
      this.device.queue.writeBuffer(this.params, slot * this.slotStride, new Uint32Array([M, N, KP, KS]));
      this.numParamWrites++;
    }
    this.slots.set(key, slot);
    return slot * this.slotStride;
  }

  /**
   * Records y = x·W^T (+ residual) into `pass`. M = 0 (an empty batch) records nothing and returns null.
   * Throws a RangeError naming the buffer when one is too small, and an Error when a forced variant
   * cannot run on this device.
   */
  encode(pass: GPUComputePassEncoder, a: MatmulArgs): MatmulDispatch | null {
    const { M, N, K, weightType } = a;
    if (M === 0 || N === 0) return null;
    if (!(M > 0 && N > 0 && K > 0) || ![M, N, K].every(Number.isInteger)) {
      throw new RangeError(`Matmul: M, N, K must be whole numbers > 0 (got ${M}, ${N}, ${K})`);
    }
    const variant = a.variant ?? this.choose(M, N, K, weightType);
    const why = variantUnsupported(variant, M, weightType, this.features);
    if (why) throw new Error(`Matmul: cannot run ${variant} here: ${why}`);
    const KP = matmulKStride(K, weightType);
    const need = (buf: GPUBuffer, bytes: number, what: string) => {
      if (buf.size < bytes) throw new RangeError(`Matmul: ${what} "${buf.label}" has ${buf.size} B, needs ${bytes} B for M=${M} N=${N} K=${K} (${weightType})`);
    };
    need(a.x, M * KP * 4, 'x');
    need(a.w, N * KP * (weightType === 'f16' ? 2 : 4), 'W');
    need(a.y, M * N * 4, 'y');
    let epilogue = EPILOGUE_NONE;
    let r = this.noResidual;
    if (a.residual === 'accumulate' || a.residual === a.y) {
      epilogue = EPILOGUE_ACCUMULATE;
    } else if (a.residual) {
      need(a.residual, M * N * 4, 'residual');
      epilogue = EPILOGUE_ADD;
      r = a.residual;
    }
    const maxGroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    /** A flat count of workgroups as a 2-D grid (the shaders rebuild the index as wid.y·nwg.x + wid.x). */
    const flat = (n: number): [number, number, number] => [Math.min(n, maxGroups), Math.ceil(n / maxGroups), 1];
    if (variant !== 'tiled') {
      if (a.splitK !== undefined && a.splitK !== 1) throw new RangeError(`Matmul: splitK applies to the tiled variant only (got ${variant})`);
      // Skinny: chunks of mr rows of x (the next power of two >= M, at most maxRows) for each group of 4 rows of W.
      const mr = skinnyRows(M, this.config.skinny.maxRows);
      const workgroups = flat(Math.ceil(N / 4) * Math.ceil(M / mr));
      pass.setPipeline(this.pipeline(variant, weightType, epilogue, mr));
      pass.setBindGroup(0, this.bindGroup(a.x, a.w, r, a.y), [this.paramOffset(M, N, KP, KP)]);
      pass.dispatchWorkgroups(...workgroups);
      return { variant, workgroups, split: 1 };
    }
    const { S, KS } = this.splitFor(M, N, K, weightType, a.splitK);
    const { wgx, wgy, tm, tn } = this.config.tiled;
    const workgroups: [number, number, number] = [Math.ceil(N / (tn * wgx)), Math.ceil(M / (tm * wgy)), S];
    const params = [this.paramOffset(M, N, KP, KS)];
    if (S === 1) {
      pass.setPipeline(this.pipeline('tiled', weightType, epilogue, 0));
      pass.setBindGroup(0, this.bindGroup(a.x, a.w, r, a.y), params);
      pass.dispatchWorkgroups(...workgroups);
      return { variant, workgroups, split: 1 };
    }
    // Split: S slices of partials into the workspace (no epilogue), then their sum into y (with it).
    const ws = this.workspaceFor(S * M * N * 4);
    pass.setPipeline(this.pipeline('tiled', weightType, EPILOGUE_NONE, 0));
    pass.setBindGroup(0, this.bindGroup(a.x, a.w, this.noResidual, ws), params);
    pass.dispatchWorkgroups(...workgroups);
    pass.setPipeline(this.pipeline('tiled', 'f32', epilogue, -1));
    pass.setBindGroup(0, this.bindGroup(ws, this.noResidual, r, a.y), params);
    pass.dispatchWorkgroups(...flat(Math.ceil((M * N) / REDUCE_WG)));
    return { variant, workgroups, split: S };
  }

  /** Drops cached bind groups (call after destroying buffers they reference). */
  clearBindGroups(): void {
    this.bindGroups.clear();
  }

  destroy(): void {
    this.params.destroy();
    this.noResidual.destroy();
    this.workspace?.destroy();
    for (const b of this.retired) b.destroy();
    this.bindGroups.clear();
  }
}
