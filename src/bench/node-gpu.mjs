// @ts-check
// WebGPU in Node through Dawn (the `webgpu` package), for headless GPU servers without Chrome.
// Backend order: Dawn's default (Vulkan on Linux) first, then OpenGL ES over EGL, which offers only
// WebGPU compatibility mode but is what works on NVIDIA servers whose Vulkan driver does not start
// (ENVIRONMENT.md). SwiftShader is used when asked for, or when the machine has no GPU.
import { existsSync } from 'node:fs';
import { chooseAdapter } from './chrome.mjs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * @param {string | undefined} requested auto | hardware | swiftshader
 * @returns {Promise<{ gpu: GPU, backend: string, featureLevel: 'core' | 'compatibility', adapter: 'hardware' | 'swiftshader' }>}
 */
export async function nodeGpu(requested) {
  const adapter = chooseAdapter(requested);
  if (adapter === 'swiftshader') {
    if (!existsSync(SWIFTSHADER_ICD)) {
      throw new Error(`SwiftShader's Vulkan driver is not at ${SWIFTSHADER_ICD}; install Debian's chromium package, which ships it.`);
    }
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  }
  let webgpu;
  try {
    // SP_WEBGPU_MODULE points at a copied package on machines without node_modules (see README, real GPUs).
    webgpu = await import(process.env['SP_WEBGPU_MODULE'] ?? 'webgpu');
  } catch (e) {
    throw new Error(`The "webgpu" package (Dawn for Node) could not be loaded: ${/** @type {Error} */ (e).message}`);
  }
  Object.assign(globalThis, webgpu.globals);
  // Dawn rounds timestamps to 2^16 ns by default (a browser fingerprinting guard); benchmarks need them raw.
  const common = ['disable-dawn-features=timestamp_quantization'];
  /** @type {Array<[string, string[], 'core' | 'compatibility']>} */
  const attempts = [['vulkan', common, 'core']];
  if (adapter === 'hardware') attempts.push(['opengles', ['backend=opengles', ...common], 'compatibility']);
  const failures = [];
  for (const [backend, flags, featureLevel] of attempts) {
    try {
      /** @type {GPU} */
      const gpu = webgpu.create(flags);
      const a = await gpu.requestAdapter({ featureLevel });
      if (a) {
        const info = a.info;
        if (adapter === 'hardware' && (info.architecture === 'swiftshader' || /swiftshader|llvmpipe/i.test(info.description))) {
          failures.push(`${backend}: only a software adapter (${info.description})`);
          continue;
        }
        return { gpu, backend, featureLevel, adapter };
      }
      failures.push(`${backend}: no adapter`);
    } catch (e) {
      failures.push(`${backend}: ${/** @type {Error} */ (e).message}`);
    }
  }
  throw new Error(`No WebGPU adapter through Dawn (${failures.join('; ')}).`);
}
