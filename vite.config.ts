import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) makes SharedArrayBuffer available, which the engine uses to
 * mirror the page pool into the UI without copies. Static hosts that cannot send these headers still
 * serve a working app: the code checks `crossOriginIsolated` and falls back to snapshots.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Imports `shaders/*.wgsl` as a string (types in src/wgsl.d.ts); `?raw` would work too, but hides intent at every import. */
export function wgslPlugin(): Plugin {
  return {
    name: 'wgsl-as-string',
    transform(code, id) {
      if (!id.endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}

export default defineConfig(({ mode }) => ({
  base: './',
  // `npm run bench:bundle` (mode bench-bundle): the suites as one self-contained file for GPU servers
  // that have no node_modules, so every package is bundled in and public/ is not copied.
  ...(mode === 'bench-bundle' ? { ssr: { noExternal: true }, publicDir: false as const } : {}),
  plugins: [wgslPlugin()],
  worker: { format: 'es', plugins: () => [wgslPlugin()] },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: {
    target: 'es2022',
    rollupOptions: {
      // bench.html is not deployed: `npm run bench` serves it from a Vite dev server (src/bench/browser-page.mjs),
      // and building it would ship the transformers.js baseline and ONNX Runtime's wasm (~27 MB) in dist/.
      input: { main: 'index.html', embed: 'embed.html', results: 'results.html' },
    },
  },
}));
