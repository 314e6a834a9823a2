// Where a slider event's time goes: a CPU profile (Chrome DevTools protocol) over
// `--events` alpha changes on the built page, self time summed by function.
// Usage: node bench/profile.mjs [--events N] [--query 'k=8&...'] [--top N]
import { chromium } from 'playwright-core';
import { chromiumArgs, serveDist } from '../serve-dist.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const EVENTS = Number(arg('events', 60));
const QUERY = arg('query', 'backend=cpu');
const TOP = Number(arg('top', 25));

const server = await serveDist();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(false) });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${server.origin}/?${QUERY}`);
await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300_000 });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
const wall = await page.evaluate(async (events) => {
  const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate alpha');
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    const v = (-2 + 0.05 * ((i + 1) % 80)).toFixed(2);
    set.call(input, v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((done) => {
      const poll = () => (new URLSearchParams(document.querySelector('#identity-diff').dataset.query).get('alpha') === String(Number(v)) ? done() : requestAnimationFrame(poll));
      requestAnimationFrame(poll);
    });
  }
  return performance.now() - start;
}, EVENTS);
const { profile } = await cdp.send('Profiler.stop');
await browser.close();
server.close();

const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
profile.samples.forEach((id, i) => {
  const { functionName, url } = byId.get(id).callFrame;
  const file = url.split('/').pop();
  const key = `${functionName || '(anonymous)'}${file ? ` [${file}]` : ''}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${EVENTS} events, ${wall.toFixed(0)} ms wall (${(wall / EVENTS).toFixed(1)} ms/event), ${total.toFixed(0)} ms sampled`);
for (const [key, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(ms / EVENTS).toFixed(2).padStart(7)} ms/event  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
}
