/**
 * The few ONNX protobuf messages the Llama exporter writes (onnx.proto, IR version 8), encoded by hand.
 *
 * Why not a protobuf package: the one maintained ONNX binding on npm (onnx-proto) would be a second new
 * dependency for ~60 lines of wire format, and it would copy every weight into JS number arrays. Here a
 * message is a list of byte chunks; a nested message is added by reference and the weights' bytes are
 * never copied until the one final concatenation (`finish`).
 *
 * Wire format (protobuf encoding spec): each field is a tag varint `(field << 3) | wireType`, then
 *   wire 0 (varint): ints, enums, bools, base-128 little-endian, negative int64 as 10-byte two's complement;
 *   wire 2 (length-delimited): strings, bytes, nested messages, a length varint then the bytes;
 *   wire 5 (fixed32): float.
 * Field numbers used below, from onnx.proto:
 *   ModelProto        ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
 *   OperatorSetIdProto domain 1, version 2
 *   GraphProto        node 1, name 2, initializer 5, doc_string 10, input 11, output 12
 *   NodeProto         input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto    name 1, f 2, i 3, t 5, ints 8, type 20 (FLOAT 1, INT 2, TENSOR 4, INTS 7)
 *   TensorProto       dims 1, data_type 2, name 8, raw_data 9 (little-endian elements)
 *   ValueInfoProto    name 1, type 2;  TypeProto tensor_type 1;  TypeProto.Tensor elem_type 1, shape 2
 *   TensorShapeProto  dim 1;  Dimension dim_value 1, dim_param 2
 * `readMessage` walks any message generically (tests use it to check what was written).
 */

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
export const ONNX_BOOL = 9;

const utf8 = new TextEncoder();

function varintBytes(v: number | bigint): Uint8Array {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

/** A protobuf message under construction: byte chunks (nested messages and weights by reference). */
export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  byteLength = 0;

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.byteLength += b.byteLength;
    return this;
  }

  private tag(field: number, wire: 0 | 2 | 5): this {
    return this.push(varintBytes((field << 3) | wire));
  }

  varint(field: number, v: number | bigint): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`protobuf field ${field}: ${v} is not a safe integer`);
    return this.tag(field, 0).push(varintBytes(v));
  }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.tag(field, 5).push(b);
  }

  bytes(field: number, b: Uint8Array): this {
    return this.tag(field, 2).push(varintBytes(b.byteLength)).push(b);
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, m: ProtoMessage): this {
    this.tag(field, 2).push(varintBytes(m.byteLength));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  /** The encoded message: one copy of every chunk. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

/** One decoded field: varints as bigint, fixed32 as its raw 4 bytes, length-delimited as bytes. */
export interface ProtoField {
  field: number;
  wire: number;
  value: bigint | Uint8Array;
}

/** Splits one message into its fields (no schema needed); throws on malformed input. */
export function readMessage(b: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let p = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (p >= b.byteLength) throw new RangeError('protobuf: varint runs past the end');
      const byte = b[p++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
      if (shift > 63n) throw new RangeError('protobuf: varint longer than 10 bytes');
    }
  };
  while (p < b.byteLength) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      if (p + n > b.byteLength) throw new RangeError(`protobuf: field ${field} of ${n} bytes runs past the end`);
      out.push({ field, wire, value: b.subarray(p, p + n) });
      p += n;
    } else if (wire === 5) {
      if (p + 4 > b.byteLength) throw new RangeError('protobuf: fixed32 runs past the end');
      out.push({ field, wire, value: b.subarray(p, p + 4) });
      p += 4;
    } else if (wire === 1) {
      out.push({ field, wire, value: b.subarray(p, p + 8) });
      p += 8;
    } else throw new RangeError(`protobuf: unsupported wire type ${wire} (field ${field})`);
  }
  return out;
}

/** Every value of `field` in a decoded message. */
export function fieldsOf(fields: ProtoField[], field: number): Array<bigint | Uint8Array> {
  return fields.filter((f) => f.field === field).map((f) => f.value);
}

/** A length-delimited field as UTF-8 text. */
export function text(v: bigint | Uint8Array | undefined): string {
  if (!(v instanceof Uint8Array)) throw new TypeError('protobuf: expected a length-delimited field');
  return new TextDecoder().decode(v);
}
