// Values vitest.config.ts provides to the GPU tests (inject('name')).
import 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    chrome: { adapter: 'hardware' | 'swiftshader'; version: string } | null;
    /** `/@fs/...` URL of ../shared/models, or null where that folder is absent. */
    sharedModelsUrl: string | null;
  }
}
