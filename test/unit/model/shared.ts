/** Locates ../shared/models/stories260K beside the clone; tests skip with a message where it is absent. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STORIES_DIR = fileURLToPath(new URL('../../../../shared/models/stories260K/', import.meta.url));
export const HAVE_STORIES = existsSync(`${STORIES_DIR}stories260K.bin`);
if (!HAVE_STORIES) console.warn(`[model tests] SKIPPING stories260K tests: ${STORIES_DIR} is absent (it sits beside the clone in CI).`);

export function storiesFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(STORIES_DIR + name));
}

/** A fetch that serves bytes as a chunked stream (exercises the forward-only StreamSource). */
export function fakeFetch(files: Record<string, Uint8Array>, chunk = 4093): typeof fetch {
  return (async (url: string | URL | Request) => {
    const name = String(url).split('/').pop()!;
    const bytes = files[name];
    if (!bytes) return new Response('not found', { status: 404, statusText: 'Not Found' });
    let o = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (o >= bytes.length) return ctrl.close();
        ctrl.enqueue(bytes.slice(o, o + chunk));
        o += chunk;
      },
    });
    return new Response(body, { headers: { 'content-length': String(bytes.length) } });
  }) as typeof fetch;
}
