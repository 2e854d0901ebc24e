/**
 * Bind groups cached by the buffers they bind, so a kernel encoded every step with the same buffers
 * creates its bind group once (DESIGN.md: no per-step bind groups that could be cached).
 *
 * Keyed by the first buffer through a WeakMap (a destroyed, dropped buffer takes its entries with it),
 * then by the identity numbers of the remaining buffers. Whole-buffer bindings only.
 */
const ids = new WeakMap<GPUBuffer, number>();
let nextId = 1;
function idOf(b: GPUBuffer): number {
  let id = ids.get(b);
  if (id === undefined) ids.set(b, (id = nextId++));
  return id;
}

export class BindGroupCache {
  private readonly byFirst = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();
  /** Bind groups created so far (tests assert a second encode creates none). */
  numCreated = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
  ) {}

  /**
   * The bind group binding `buffers[i]` at binding i of `pipeline`'s group 0. The layout is asked for only
   * when a bind group is created: getBindGroupLayout is a call into the implementation that returns a new
   * object each time, too slow for every encode of every step.
   */
  get(pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
    const first = buffers[0]!;
    let inner = this.byFirst.get(first);
    if (!inner) this.byFirst.set(first, (inner = new Map()));
    const key = buffers.slice(1).map(idOf).join(',');
    let bg = inner.get(key);
    if (!bg) {
      bg = this.device.createBindGroup({
        label: this.label,
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      inner.set(key, bg);
      this.numCreated++;
    }
    return bg;
  }
}
