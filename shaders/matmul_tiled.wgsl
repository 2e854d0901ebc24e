// matmul, variant "tiled": register-blocked GEMM for prefill-sized M (many rows of x).
//
// Math:    y[m, n] = sum_k x[m, k] · W[n, k]                      (EPILOGUE 0)
//          y[m, n] = sum_k x[m, k] · W[n, k] + r[m, n]            (EPILOGUE 1, residual from its own buffer)
//          y[m, n] = sum_k x[m, k] · W[n, k] + y[m, n]            (EPILOGUE 2, in place: y is the residual
//                                                                  stream; each element is read, then written,
//                                                                  by the one thread that owns it)
//          Products and sums in f32 whatever the weight type.
// Shapes:  x (M, KP) f32 -> y (M, N) f32, W (N, KP) in Hugging Face's [out, in] row-major layout.
//          KP = K rounded up to 4 (f32 weights) or 8 (f16 weights) so every row is 16-byte aligned for
//          vec4 loads; the pad columns of x and W must be zero (src/kernels/f16.ts, matmul.ts padRows).
// Variants (overrides): WF16 = 0: W is f32, read as vec4<u32> and bitcast (4 weights per load);
//          WF16 = 1: W is f16 packed two per u32 (src/kernels/f16.ts), 8 weights per vec4<u32> load,
//          unpacked with unpack2x16float (no shader-f16 needed, half the weight bytes).
//          EPILOGUE as above. The skinny variants for decode-sized M are in matmul_skinny*.wgsl;
//          src/kernels/matmul_variant.ts says which runs where.
//
// Tiling:  a workgroup of WGX × WGY threads computes a BM × BN block of y, BM = TM·WGY, BN = TN·WGX.
//          Thread (tx, ty) owns TM × TN outputs, split into 4-wide groups spread over the block so that
//          threads reading workgroup memory side by side read consecutive vec4s (no bank conflicts):
//            rows  m0 + gi·4·WGY + ty·4 + i,  gi < TM/4, i < 4
//            cols  n0 + gj·4·WGX + tx·4 + j,  gj < TN/4, j < 4
//          K advances BK columns at a time. Each K-tile of x (BM × BK) and W (BN × BK) is loaded with
//          vec4 reads along k (both operands are k-contiguous), transposed into workgroup memory as
//          As[k][m], Bs[k][n], and double-buffered: while the block computes on tile t, each thread
//          holds tile t+1 in registers and stores it into the other buffer, so one barrier per tile.
// Split-K: workgroup z = s computes the partial product over k in [s·KS, min((s+1)·KS, KP)) (KS = params.KS,
//          a multiple of BK; KS = KP and one slice when not split) and writes it to y[s·M·N + m·N + n]:
//          the wrapper then binds a workspace of S·M·N floats as y, runs this with EPILOGUE 0, and
//          matmul_splitk_reduce.wgsl sums the S slices into the real y (applying the epilogue). Splitting
//          K multiplies the workgroups of a grid that has too few to fill the GPU (matmul_variant.ts,
//          chooseSplitK, says when).
// Grid:    (ceil(N / BN), ceil(M / BM), S), S = ceil(KP / KS).
// Limits:  TM, TN in {4, 8}; x loads per thread BM·BK/4/(WGX·WGY) <= 4; W loads per thread <= 4
//          (the wrapper checks); workgroup memory 2·BK·(BM + BN)·4 bytes.

override WGX: u32 = 16u;   // threads along n
override WGY: u32 = 16u;   // threads along m
override TM: u32 = 8u;     // rows of y per thread (multiple of 4, at most 8)
override TN: u32 = 8u;     // columns of y per thread (multiple of 4, at most 8)
override BK: u32 = 8u;     // k columns per tile (multiple of 8)
override WF16: u32 = 0u;   // 1: W is packed f16
override EPILOGUE: u32 = 0u;

override BM: u32 = TM * WGY;
override BN: u32 = TN * WGX;
override NT: u32 = WGX * WGY;             // threads per workgroup
override EPV: u32 = 4u + 4u * WF16;       // weights per vec4<u32> load
override XLOADS: u32 = (BM * BK / 4u + NT - 1u) / NT;   // vec4 loads of x per thread per tile
override WLOADS: u32 = (BN * BK / EPV + NT - 1u) / NT;  // vec4<u32> loads of W per thread per tile

struct Params {
  M: u32,   // rows of x and y
  N: u32,   // rows of W, columns of y
  KP: u32,  // padded K: row stride of x and W in elements
  KS: u32,  // k columns per split-K slice (a multiple of BK; KP when not split)
}

@group(0) @binding(0) var<uniform> params: Params;                 // 16 B, dynamic offset into a slot ring
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;      // (M, KP/4) vec4
@group(0) @binding(2) var<storage, read> w: array<vec4<u32>>;      // (N, KP/EPV) vec4<u32>: f32 bits or packed f16
@group(0) @binding(3) var<storage, read> r: array<f32>;            // (M, N) residual, read when EPILOGUE == 1
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (M, N), or (S, M, N) partials when split

// Two buffers of one K-tile each, k-major: As[buf][k][m / 4] holds rows m..m+3 of column k.
var<workgroup> As: array<vec4<f32>, 2u * BK * BM / 4u>;
var<workgroup> Bs: array<vec4<f32>, 2u * BK * BN / 4u>;

@compute @workgroup_size(WGX, WGY, 1)
fn main(@builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u) {
  let M = params.M;
  let N = params.N;
  let KV = params.KP / 4u;        // x row length in vec4
  let WV = params.KP / EPV;       // W row length in vec4<u32>
  let tx = lid.x;
  let ty = lid.y;
  let li = ty * WGX + tx;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let kBegin = wid.z * params.KS;                       // this slice's first k column (a multiple of BK)
  let numTiles = (min(params.KS, params.KP - kBegin) + BK - 1u) / BK;
  let kx0 = kBegin / 4u;                                // the slice's first k-vec of x
  let kw0 = kBegin / EPV;                               // ... and of W

  var acc: array<array<vec4<f32>, 2>, 8>;   // acc[gi·4 + i][gj]: rows (gi, i), columns gj·4·WGX + tx·4 + 0..3
  var xr: array<vec4<f32>, 4>;              // next x tile, in registers
  var wr: array<vec4<u32>, 4>;              // next W tile, in registers

  // Global -> registers for K-tile t. x: vec4 v of the tile is row v / (BK/4), k-vec v % (BK/4).
  // W: load v is row v / (BK/EPV), k-vec v % (BK/EPV). Out-of-range rows and k load zeros.
  // (Written out twice below, for tile 0 and in the loop: WGSL has no pointer-to-private-array params we
  // could pass the register arrays through without copying.)
  for (var i = 0u; i < XLOADS; i++) {
    let v = li + i * NT;
    let row = v / (BK / 4u);
    let kv = kx0 + v % (BK / 4u);
    let m = m0 + row;
    xr[i] = vec4<f32>(0.0);
    if (v < BM * BK / 4u && m < M && kv < KV) { xr[i] = x[m * KV + kv]; }
  }
  for (var i = 0u; i < WLOADS; i++) {
    let v = li + i * NT;
    let row = v / (BK / EPV);
    let kv = kw0 + v % (BK / EPV);
    let n = n0 + row;
    wr[i] = vec4<u32>(0u);
    if (v < BN * BK / EPV && n < N && kv < WV) { wr[i] = w[n * WV + kv]; }
  }

  for (var t = 0u; t < numTiles; t++) {
    let buf = t % 2u;
    // Registers -> workgroup memory (transposed to k-major) for tile t, into buffer `buf`.
    for (var i = 0u; i < XLOADS; i++) {
      let v = li + i * NT;
      if (v < BM * BK / 4u) {
        let row = v / (BK / 4u);
        let k = (v % (BK / 4u)) * 4u;
        let base = buf * (BK * BM / 4u) + row / 4u;
        As[base + (k + 0u) * (BM / 4u)][row % 4u] = xr[i].x;
        As[base + (k + 1u) * (BM / 4u)][row % 4u] = xr[i].y;
        As[base + (k + 2u) * (BM / 4u)][row % 4u] = xr[i].z;
        As[base + (k + 3u) * (BM / 4u)][row % 4u] = xr[i].w;
      }
    }
    for (var i = 0u; i < WLOADS; i++) {
      let v = li + i * NT;
      if (v < BN * BK / EPV) {
        let row = v / (BK / EPV);
        let k = (v % (BK / EPV)) * EPV;
        let base = buf * (BK * BN / 4u) + row / 4u;
        let q = wr[i];
        if (WF16 == 1u) {
          let p0 = unpack2x16float(q.x);
          let p1 = unpack2x16float(q.y);
          let p2 = unpack2x16float(q.z);
          let p3 = unpack2x16float(q.w);
          Bs[base + (k + 0u) * (BN / 4u)][row % 4u] = p0.x;
          Bs[base + (k + 1u) * (BN / 4u)][row % 4u] = p0.y;
          Bs[base + (k + 2u) * (BN / 4u)][row % 4u] = p1.x;
          Bs[base + (k + 3u) * (BN / 4u)][row % 4u] = p1.y;
          Bs[base + (k + 4u) * (BN / 4u)][row % 4u] = p2.x;
          Bs[base + (k + 5u) * (BN / 4u)][row % 4u] = p2.y;
          Bs[base + (k + 6u) * (BN / 4u)][row % 4u] = p3.x;
          Bs[base + (k + 7u) * (BN / 4u)][row % 4u] = p3.y;
        } else {
          let f = bitcast<vec4<f32>>(q);
          Bs[base + (k + 0u) * (BN / 4u)][row % 4u] = f.x;
          Bs[base + (k + 1u) * (BN / 4u)][row % 4u] = f.y;
          Bs[base + (k + 2u) * (BN / 4u)][row % 4u] = f.z;
          Bs[base + (k + 3u) * (BN / 4u)][row % 4u] = f.w;
        }
      }
    }
    workgroupBarrier();

    // Prefetch tile t+1 into registers; its loads overlap the arithmetic below.
    if (t + 1u < numTiles) {
      let kx = kx0 + (t + 1u) * (BK / 4u);
      let kw = kw0 + (t + 1u) * (BK / EPV);
      for (var i = 0u; i < XLOADS; i++) {
        let v = li + i * NT;
        let row = v / (BK / 4u);
        let kv = kx + v % (BK / 4u);
        let m = m0 + row;
        xr[i] = vec4<f32>(0.0);
        if (v < BM * BK / 4u && m < M && kv < KV) { xr[i] = x[m * KV + kv]; }
      }
      for (var i = 0u; i < WLOADS; i++) {
        let v = li + i * NT;
        let row = v / (BK / EPV);
        let kv = kw + v % (BK / EPV);
        let n = n0 + row;
        wr[i] = vec4<u32>(0u);
        if (v < BN * BK / EPV && n < N && kv < WV) { wr[i] = w[n * WV + kv]; }
      }
    }

    // Rank-1 updates: for each k of the tile, TM values of x times TN values of W.
    let aBase = buf * (BK * BM / 4u);
    let bBase = buf * (BK * BN / 4u);
    for (var k = 0u; k < BK; k++) {
      var a: array<vec4<f32>, 2>;
      var b: array<vec4<f32>, 2>;
      for (var g = 0u; g < TM / 4u; g++) { a[g] = As[aBase + k * (BM / 4u) + g * WGY + ty]; }
      for (var g = 0u; g < TN / 4u; g++) { b[g] = Bs[bBase + k * (BN / 4u) + g * WGX + tx]; }
      for (var gi = 0u; gi < TM / 4u; gi++) {
        for (var i = 0u; i < 4u; i++) {
          let av = vec4<f32>(a[gi][i]);
          for (var gj = 0u; gj < TN / 4u; gj++) {
            acc[gi * 4u + i][gj] = fma(av, b[gj], acc[gi * 4u + i][gj]);
          }
        }
      }
    }
    // One barrier per tile is enough: the next iteration stores into the other buffer, which every
    // thread finished reading (in the previous iteration) before it passed this iteration's barrier.
  }

  // Epilogue: scalar stores (N need not be a multiple of 4), bounds-checked. Split: slice z's partials.
  let yBase = wid.z * M * N;
  for (var gi = 0u; gi < TM / 4u; gi++) {
    for (var i = 0u; i < 4u; i++) {
      let m = m0 + gi * 4u * WGY + ty * 4u + i;
      if (m >= M) { continue; }
      for (var gj = 0u; gj < TN / 4u; gj++) {
        let nb = n0 + gj * 4u * WGX + tx * 4u;
        let v = acc[gi * 4u + i][gj];
        for (var j = 0u; j < 4u; j++) {
          let n = nb + j;
          if (n < N) {
            let o = m * N + n;
            var out = v[j];
            if (EPILOGUE == 1u) { out += r[o]; }          // (EPILOGUE is 0 when split: yBase = 0 otherwise)
            if (EPILOGUE == 2u) { out += y[o]; }
            y[yBase + o] = out;
          }
        }
      }
    }
  }
}
