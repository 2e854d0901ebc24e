/** A fetch that serves in-memory files as a chunked stream (no Node APIs: usable in the browser tests too). */
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
