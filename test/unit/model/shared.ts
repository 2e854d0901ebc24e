/** Locates ../shared/models/stories260K beside the clone; tests skip with a message where it is absent. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STORIES_DIR = fileURLToPath(new URL('../../../../shared/models/stories260K/', import.meta.url));
export const HAVE_STORIES = existsSync(`${STORIES_DIR}stories260K.bin`);
if (!HAVE_STORIES) console.warn(`[model tests] SKIPPING stories260K tests: ${STORIES_DIR} is absent (it sits beside the clone in CI).`);

export function storiesFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(STORIES_DIR + name));
}

export { fakeFetch } from './fetch-fake';
