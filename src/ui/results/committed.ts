/**
 * The reference results committed under bench/results/ (the source of truth; see its README.md). Vite
 * emits each file as an asset of the build and gives its URL, so the page can offer them and `?a=` / `?b=`
 * may name them (`?a=swiftshader-all.json`) without a copy step or a second folder under public/.
 */
const urls = import.meta.glob('../../../bench/results/*.json', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

export interface CommittedResult {
  /** File name, e.g. `kernels-matmul-h200.json`. */
  name: string;
  url: string;
}

export const committedResults: CommittedResult[] = Object.entries(urls)
  .map(([path, url]) => ({ name: path.slice(path.lastIndexOf('/') + 1), url }))
  .sort((x, y) => x.name.localeCompare(y.name));

/**
 * What a `?a=` / `?b=` value points at: a committed file by name (with or without `bench/results/`),
 * else a URL relative to the page.
 */
export function resolveResultRef(ref: string): { url: string; label: string } {
  const name = ref.replace(/^\.?\/?(bench\/results\/)?/, '');
  const hit = committedResults.find((c) => c.name === name || c.name === `${name}.json`);
  if (hit) return { url: hit.url, label: `bench/results/${hit.name}` };
  return { url: new URL(ref, location.href).href, label: ref };
}
