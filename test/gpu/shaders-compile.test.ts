// Every file in shaders/ compiles on this adapter with no error-level message. Files named
// *.f16.wgsl need shader-f16 and are compiled only on adapters that have it (the test says which).
import { describe, expect, test } from 'vitest';
import { sharedGpu } from './harness';
import { checkCompilation } from '../../src/gpu';

const shaders = import.meta.glob<string>('../../shaders/*.wgsl', { eager: true, import: 'default' });

describe('shaders/ compile', () => {
  test('there are shaders to compile', () => {
    expect(Object.keys(shaders).length).toBeGreaterThan(0);
  });
  for (const [path, code] of Object.entries(shaders)) {
    const name = path.split('/').pop()!;
    test(name, async () => {
      const ctx = await sharedGpu();
      if (name.endsWith('.f16.wgsl') && !ctx.hasF16) {
        console.log(`[shaders] ${name}: not compiled, this adapter has no shader-f16`);
        return;
      }
      const module = ctx.device.createShaderModule({ label: name, code });
      const messages = await checkCompilation(module, name);
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
    });
  }
});
