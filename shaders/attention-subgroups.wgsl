// attention-subgroups: the prefix of attention.wgsl's subgroup variant (src/kernels/attention.ts drops the
// `BEGIN lane-sum` .. `END lane-sum` block of attention.wgsl and prepends this file), used only where the
// device has the `subgroups` feature.
//
// Math: laneSum(x, lanes) = sum of x over the `lanes` consecutive invocations l0 .. l0 + lanes - 1
// (l0 a multiple of lanes), returned to each of them: a butterfly of log2(lanes) subgroupShuffleXor steps.
// No bindings. Assumes (TS checks what it can): lanes is a power of two <= 8 and <= the subgroup size,
// workgroups are 1-D with WG a multiple of lanes, and local_invocation_index maps to subgroup invocations
// in order (so the lanes of one key sit in one subgroup), true for Vulkan on NVIDIA, AMD and Intel.
// Must be called by every invocation of the subgroup (uniform control flow).
// Variants: none (the masks are constants; `lanes` picks how many steps run).
enable subgroups;
// attention.wgsl's score loop has `if (!CLAMPK && !live) { break; }`: the uniformity analysis cannot see
// that the subgroup variant always runs with CLAMPK = true (no early exit, every invocation reaches
// laneSum), so the subgroup-uniformity check is turned off for the module.
diagnostic(off, subgroup_uniformity);

const SG_SUM = true;

fn laneSum(x: f32, lanes: u32) -> f32 {
  var v = x;
  if (lanes > 1u) { v += subgroupShuffleXor(v, 1u); }
  if (lanes > 2u) { v += subgroupShuffleXor(v, 2u); }
  if (lanes > 4u) { v += subgroupShuffleXor(v, 4u); }
  return v;
}
