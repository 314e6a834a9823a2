// The page's service worker: after one visit the page works with no network.
// The build (web/build/precache.mjs) fills in the file list and a version from the
// files' contents, so a new build replaces the old cache.
const VERSION = 'dev';
const FILES = [];
const CACHE = `flamingo-explainer-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(['./', ...FILES])).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first, so a teacher online always gets the latest build; the cache answers
// when the network does not. The page's state is in the query, so any query matches.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          const key = event.request.mode === 'navigate' ? './' : event.request;
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() =>
        caches
          .match(event.request.mode === 'navigate' ? './' : event.request, { ignoreSearch: true })
          .then((hit) => hit ?? Response.error()),
      ),
  );
});
