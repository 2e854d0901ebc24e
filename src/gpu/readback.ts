/**
 * A ring of mapped-readable staging buffers, allocated once. A step records a copy into the next free
 * slot while encoding; after the submit, `read` maps that slot, copies the bytes out into the caller's
 * array and returns the slot to the ring. No buffer is created per call, so the hot path (sampled
 * token ids, timestamps) costs one copy and one map.
 */

export interface ReadbackTicket {
  readonly slot: number;
  readonly size: number;
}

export class ReadbackRing {
  private readonly buffers: GPUBuffer[];
  private readonly busy: boolean[];
  private next = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacityBytes: number,
    readonly numSlots = 3,
    label = 'ReadbackRing',
  ) {
    if (capacityBytes <= 0 || capacityBytes % 4 !== 0) throw new RangeError(`ReadbackRing capacity must be a positive multiple of 4, got ${capacityBytes}.`);
    this.buffers = Array.from({ length: numSlots }, (_, i) =>
      device.createBuffer({ label: `${label}.staging${i}`, size: capacityBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
    this.busy = new Array<boolean>(numSlots).fill(false);
  }

  /** Slots not waiting to be read. */
  get numFree(): number {
    return this.busy.filter((b) => !b).length;
  }

  /** Records `src[srcOffset, srcOffset + size)` -> a free staging buffer. Throws when every slot is still unread. */
  enqueue(encoder: GPUCommandEncoder, src: GPUBuffer, srcOffset: number, size: number): ReadbackTicket {
    if (size > this.capacityBytes) throw new RangeError(`Readback of ${size} B exceeds the ring's slot size of ${this.capacityBytes} B.`);
    for (let k = 0; k < this.numSlots; k++) {
      const slot = (this.next + k) % this.numSlots;
      if (this.busy[slot]) continue;
      this.busy[slot] = true;
      this.next = (slot + 1) % this.numSlots;
      encoder.copyBufferToBuffer(src, srcOffset, this.buffers[slot]!, 0, size);
      return { slot, size };
    }
    throw new Error(`ReadbackRing: all ${this.numSlots} slots are waiting to be read; read a ticket before enqueueing more.`);
  }

  /**
   * Maps the ticket's slot after its submit, copies into `into` (or a new ArrayBuffer when omitted)
   * and frees the slot.
   */
  async read<T extends ArrayBufferView = Uint8Array>(ticket: ReadbackTicket, into?: T): Promise<T> {
    const buffer = this.buffers[ticket.slot]!;
    try {
      await buffer.mapAsync(GPUMapMode.READ, 0, ticket.size);
      const mapped = new Uint8Array(buffer.getMappedRange(0, ticket.size));
      const target = into ?? (new Uint8Array(ticket.size) as unknown as T);
      if (target.byteLength < ticket.size) throw new RangeError(`read target holds ${target.byteLength} B, ticket has ${ticket.size} B.`);
      new Uint8Array(target.buffer, target.byteOffset, ticket.size).set(mapped);
      buffer.unmap();
      return target;
    } finally {
      this.busy[ticket.slot] = false;
    }
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}

/** One-off read of a buffer for tests and setup code (allocates; never on the hot path). */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, size = src.size, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `readBuffer(${src.label})`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder({ label: 'readBuffer' });
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.destroy();
  return copy;
}
