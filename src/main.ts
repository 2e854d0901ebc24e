export {};

// Page attributes from the query (both index.html and embed.html): panels=pool,timelines,... ·
// compact=0|1 · autoplay=0|1. Set before the element is defined, so its first render sees them.
const el = document.querySelector('serving-playground');
const q = new URLSearchParams(location.search);
if (el) {
  const panels = q.get('panels');
  if (panels) el.setAttribute('panels', panels);
  for (const name of ['compact', 'autoplay']) {
    if (q.get(name) === '0') el.removeAttribute(name);
    if (q.get(name) === '1') el.setAttribute(name, '');
  }
}

await import('./ui/serving-playground');

// embed.html answers its host page's postMessage commands (origin-checked; see embed-bridge.ts).
if (el && document.body.dataset['embed'] !== undefined) {
  const { installEmbedBridge } = await import('./ui/embed-bridge');
  installEmbedBridge(el as import('./ui/serving-playground').ServingPlayground);
}
