// embedding: gathers each token's row of the embedding table into the step's hidden states.
//
// Math:   x[t, d] = E[tokenIds[t], d]                           for t in [0, numTokens), d in [0, DIM)
// Shapes: tokenIds (numTokens) u32 -> x (numTokens, DIM) f32.
//         table: rows [ROW_START, ROW_START + NUM_ROWS) of E, row r - ROW_START at word offset
//         (r - ROW_START) * ROW_STRIDE, stored as u32 words in one of two formats (override PACKED_F16):
//           f32 (PACKED_F16 = false): ROW_STRIDE = DIM words, element d = bitcast<f32>(word d);
//           f16 packed (PACKED_F16 = true): two halves per u32 in src/kernels/f16.ts's layout (row
//             stride roundUp(DIM, 8) halves = ROW_STRIDE words; half d in word d / 2, low 16 bits for
//             even d, high for odd d: exactly unpack2x16float's (.x, .y)), so a tied lm_head's packed
//             weight is the same buffer.
//         A table larger than maxStorageBufferBindingSize is split into chunks of rows, one pipeline
//         per chunk: a dispatch writes only the tokens whose id falls in its chunk and leaves the other
//         rows of x alone, so dispatching every chunk writes every row. Ids outside all chunks (>= vocab)
//         are never written: the model checks ids on the CPU before upload.
// Index:  d = global_invocation_id.x (bounds-checked against DIM), token t = workgroup_id.y.
// Workgroup: (WG, 1, 1), one output element each; coalesced along d.
// Grid:   (ceil(DIM / WG), numTokens, 1); numTokens <= maxComputeWorkgroupsPerDimension.
// Variants: f32 table, f16-packed table (no shader-f16 needed).

override WG: u32 = 256u;          // threads per workgroup
override DIM: u32 = 4096u;        // hidden size
override ROW_STRIDE: u32 = 4096u; // u32 words per table row
override ROW_START: u32 = 0u;     // first vocab row held by this table chunk
override NUM_ROWS: u32 = 32000u;  // rows in this chunk
override PACKED_F16: bool = false; // table format, see above

@group(0) @binding(0) var<storage, read> token_ids: array<u32>;  // (numTokens)
@group(0) @binding(1) var<storage, read> table: array<u32>;      // (NUM_ROWS, ROW_STRIDE) words
@group(0) @binding(2) var<storage, read_write> x: array<f32>;    // (numTokens, DIM)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let d = gid.x;
  if (d >= DIM) {
    return;
  }
  let t = wid.y;
  let id = token_ids[t];
  // id - ROW_START wraps around for id < ROW_START, so one compare checks both ends of the chunk.
  let r = id - ROW_START;
  if (r >= NUM_ROWS) {
    return;
  }
  var v: f32;
  if (PACKED_F16) {
    let pair = unpack2x16float(table[r * ROW_STRIDE + d / 2u]);
    v = select(pair.x, pair.y, (d & 1u) == 1u);
  } else {
    v = bitcast<f32>(table[r * ROW_STRIDE + d]);
  }
  x[t * DIM + d] = v;
}
