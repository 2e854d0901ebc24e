// Every file in shaders/ compiles on this adapter with no error-level message. A file whose `enable`
// directives name a feature the device lacks (f16 -> shader-f16, subgroups) is compiled only where
// the feature exists; the test says which files it left out and why.
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
      const needs = [...code.matchAll(/^\s*enable\s+([\w\s,]+);/gm)].flatMap((m) => m[1]!.split(',').map((x) => x.trim()));
      const missing = needs.filter((f) => (f === 'f16' ? !ctx.hasF16 : f === 'subgroups' ? !ctx.hasSubgroups : false));
      if (missing.length) {
        console.log(`[shaders] ${name}: not compiled, this device lacks ${missing.join(', ')}`);
        return;
      }
      const module = ctx.device.createShaderModule({ label: name, code });
      const messages = await checkCompilation(module, name);
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
    });
  }
});
