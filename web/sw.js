// plantvit's service worker: the web app offline. On install it caches the page, the TF.js runtime and the bundle's
// browser model; afterwards those are answered from the cache (the page's own small files refreshed in the background),
// so the page loads and the browser model answers with no connection. The API (/predict, /health, /cases, ...) is never
// cached: a photo the browser model cannot answer offline is queued by the page (app.js) instead.
//
// Versioned by the bundle: the page registers `/sw.js?v=VERSION` (VERSION from the server's /health and the checksums of
// /model's files), the cache is named `plantvit-VERSION`, and a new bundle means a new script URL, so the browser
// installs a new worker, which fills a new cache and deletes the old ones.
const VERSION = new URL(self.location.href).searchParams.get('v') || 'dev';
const CACHE = `plantvit-${VERSION}`;
// the page's own files: served from the cache, refreshed from the network in the background
const SHELL = ['/', '/app.js', '/style.css', '/shim.js', '/manifest.webmanifest', '/icon.svg', '/icon-192.png', '/icon-512.png'];
const WASM = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';
// the runtime: changes only with the app's version, served from the cache
const RUNTIME = ['/node_modules/@tensorflow/tfjs/dist/tf.min.js', `${WASM}tf-backend-wasm.min.js`,
                 `${WASM}tfjs-backend-wasm.wasm`, `${WASM}tfjs-backend-wasm-simd.wasm`];
const OPTIONAL = ['/taxonomy'];   // cached when the server has it (the threaded wasm is left out: it needs cross-origin isolation)

// The browser model's files: routing.json, model.json and the weight shards model.json names (none when the bundle
// has no browser model: the page then queues every photo offline).
async function modelFiles() {
  const routing = await fetch('/browser/routing.json', { cache: 'no-cache' });
  if (!routing.ok) return [];
  const model = await fetch('/browser/model.json', { cache: 'no-cache' });
  if (!model.ok) return [];
  const shards = (await model.json()).weightsManifest.flatMap((g) => g.paths).map((p) => new URL(p, new URL('/browser/model.json', self.location.origin)).pathname);
  return ['/browser/routing.json', '/browser/model.json', ...shards];
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const required = [...SHELL, ...RUNTIME, ...await modelFiles()];
    await cache.addAll(required.map((u) => new Request(u, { cache: 'no-cache' })));   // all or nothing: no half-filled cache
    await Promise.all(OPTIONAL.map((u) => cache.add(new Request(u, { cache: 'no-cache' })).catch(() => null)));
    await self.skipWaiting();   // a new bundle's worker takes over at once (the open page keeps the model it has loaded)
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys())
      if (name.startsWith('plantvit-') && name !== CACHE) await caches.delete(name);   // the old bundle's cache
  })());
});

const shell = new Set(SHELL), cached = new Set([...RUNTIME, ...OPTIONAL]);

self.addEventListener('fetch', (event) => {
  const req = event.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;   // uploads and the API go to the network
  const path = req.mode === 'navigate' && url.pathname === '/index.html' ? '/' : url.pathname;
  if (req.mode === 'navigate' && path !== '/') return;                       // /docs and the like: online only
  if (shell.has(path)) event.respondWith(staleWhileRevalidate(event, path));
  else if (cached.has(path) || path.startsWith('/browser/')) event.respondWith(cacheFirst(req, path));
});

// From the cache at once; the network's copy (when there is one) replaces it for the next visit.
async function staleWhileRevalidate(event, path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(path, { ignoreVary: true });
  const refresh = fetch(path, { cache: 'no-cache' })
    .then((res) => { if (res.ok) { const copy = res.clone(); return cache.put(path, copy).then(() => res); } return res; })
    .catch(() => null);
  if (hit) { event.waitUntil(refresh); return hit; }
  return (await refresh) || Response.error();
}

async function cacheFirst(req, path) {
  const hit = await caches.match(path, { cacheName: CACHE, ignoreVary: true });
  return hit || fetch(req);
}
