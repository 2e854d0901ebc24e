/** The simulated backend's model factory: a published model shape on a GPU spec, through the cost model. */
import type { KVLayout } from '../../kv';
import type { RunnerFactory } from '../service';
import { MODEL_SHAPES, type ModelShape } from './cost-model';
import { GPU_SPECS, type Efficiency } from './gpu-specs';
import { SimulatedRunner } from './simulated-runner';

/**
 * A simulated model of a published shape on a GPU spec; tokens are hashes (meaningless), timings modelled.
 * `efficiency` replaces the spec's default efficiency factors (e.g. from the calibration mode).
 */
export function simulatedModel(shapeId: string, gpuId: string, maxModelLen = 4096, efficiency?: Efficiency): RunnerFactory {
  const shape: (ModelShape & { name: string }) | undefined = MODEL_SHAPES[shapeId];
  const gpu = GPU_SPECS[gpuId];
  if (!shape) throw new Error(`Unknown model shape "${shapeId}"; known: ${Object.keys(MODEL_SHAPES).join(', ')}.`);
  if (!gpu) throw new Error(`Unknown GPU "${gpuId}"; known: ${Object.keys(GPU_SPECS).join(', ')}.`);
  const eos = [2];
  return {
    backend: 'simulated',
    async describe() {
      const layout: KVLayout = { numLayers: shape.numLayers, numKvHeads: shape.numKvHeads, headDim: shape.headDim, elementBytes: 2 };
      return {
        info: { label: `${shape.name} on a simulated ${gpu.name}`, kind: 'simulated', layout, maxModelLen, vocabSize: shape.vocabSize, note: `simulated: step times from a roofline of ${gpu.source}${efficiency ? ` at efficiencies compute ${efficiency.compute.toFixed(3)}, memory ${efficiency.memory.toFixed(3)} (calibrated)` : ''}; tokens are placeholders` },
        eosTokenIds: eos,
      };
    },
    async create(env) {
      return new SimulatedRunner(env.sessionId, shape, gpu, env.clock, { weightBytesPerParam: 2, kvBytesPerElement: 2, ...(efficiency ? { efficiency } : {}) }, eos);
    },
  };
}
