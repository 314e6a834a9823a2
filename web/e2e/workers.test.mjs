// The mechanics' forwards run in Web Workers (crates/app/src/compute/pool.rs): a slider stays
// live while a long forward is out, a notice says one is out, and a forward shared
// across several workers gives the frame one worker computes, bit for bit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from '../serve-dist.mjs';
import { open, settled } from './session.mjs';

let server;
before(async () => {
  server = await serveDist();
});
after(() => server.close());

/** The page's cores, as `navigator.hardwareConcurrency` reports them, set before it starts. */
const cores = (n) => `Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${n} })`;

/** Sets a range input by its label, with one `input` event, as a key press does. */
const setRange = (page, label, value) =>
  page.evaluate(
    ([label, value]) => {
      const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === label);
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, String(value));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [label, value],
  );

const fingerprint = (page) => page.locator('#backend').getAttribute('data-frame');

test('a slider moved while a long forward is out updates its readout by the next frame; a notice shows the forward is out', async () => {
  // OpenFlamingo's width, six layers, 3 images of 196 patches: each K step takes seconds on this machine's CPU.
  const query = '?width=1024&k=64&depth=6&patch=16&size=224&len=16&images=0,4,8&alpha=1&ff=1&backend=cpu';
  const { browser, page, problems } = await open(server.origin, false, query);
  await settled(page);
  const runs = Number(await page.locator('#backend').getAttribute('data-runs'));
  await setRange(page, 'Latents K', 100);
  await page.locator('#computing').waitFor({ state: 'visible', timeout: 10_000 });
  // While it is out: a gate moves. Its readout must change in the task that handled the
  // input, and the next frame must come without waiting for the forward.
  const moved = await page.evaluate(async () => {
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate alpha');
    const readout = input.closest('.slider').querySelector('output');
    const before = readout.textContent;
    const start = performance.now();
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, '-1.5');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const frame = await new Promise((done) => requestAnimationFrame(() => done({ ms: performance.now() - start, readout: readout.textContent })));
    return { before, ...frame, computing: !document.querySelector('#computing').hidden };
  });
  assert.equal(moved.readout, '-1.50', `the readout shows the new value at the next frame (was ${moved.before})`);
  assert.ok(moved.ms < 50, `the next frame came ${moved.ms.toFixed(1)} ms after the input: the main thread was not blocked`);
  assert.ok(moved.computing, 'the forward was still out when the gate moved');
  console.log(`gate moved during a forward: readout at the next frame, ${moved.ms.toFixed(1)} ms after the input`);
  // The K step's result was stale once the gate moved: dropped, never painted; the
  // newest state is what the panels end on, and the notice goes.
  await settled(page);
  await page.locator('#computing').waitFor({ state: 'hidden', timeout: 60_000 });
  const b = page.locator('#backend');
  assert.equal(Number(await b.getAttribute('data-runs')) - runs, 2, 'the K step and the gate step ran, nothing else');
  assert.equal(await b.getAttribute('data-stale'), '1', 'the K step\'s frame was dropped as stale');
  const now = new URL(page.url()).searchParams;
  assert.deepEqual([now.get('k'), now.get('alpha')], ['100', '-1.5']);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('one worker, two and four give the same frames bit for bit', async () => {
  // Three images: two workers split them 2 + 1, four 1 + 1 + 1; the first joins.
  const query = '?k=63&depth=6&patch=16&size=224&width=256&len=32&images=0,8,16&alpha=1&ff=1&backend=cpu';
  const steps = [
    ['Latents K', 'k', 40],
    ['Gate alpha', 'alpha', -0.75],
    ['Resampler depth', 'depth', 3],
  ];
  const seen = {};
  for (const n of [1, 2, 4]) {
    const { browser, page, problems } = await open(server.origin, false, query, undefined, cores(n));
    await settled(page);
    assert.equal(await page.locator('#backend').getAttribute('data-workers'), String(Math.min(n, 4)));
    assert.match(await page.locator('.status').textContent(), new RegExp(`· ${n} CPU workers?`));
    const frames = [await fingerprint(page)];
    for (const [label, key, value] of steps) {
      await setRange(page, label, value);
      await page.waitForFunction(([key, v]) => Number(new URLSearchParams(location.search).get(key)) === v, [key, value]);
      await settled(page);
      frames.push(await fingerprint(page));
    }
    assert.equal(new Set(frames).size, frames.length, `each step changes the frame: ${frames}`);
    assert.deepEqual(problems, { console: [], foreign: [] });
    seen[n] = frames;
    await browser.close();
  }
  console.log(`frames: ${JSON.stringify(seen)}`);
  assert.deepEqual(seen[2], seen[1], 'two workers: the frames of one');
  assert.deepEqual(seen[4], seen[1], 'four workers: the frames of one');
});

test('Measure shares its pieces across the workers: one worker and two count the same, and the frames keep coming', async () => {
  const tables = {};
  for (const n of [1, 2]) {
    const { browser, page, problems } = await open(server.origin, false, '?scale=1', undefined, cores(n));
    await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 60_000 });
    await page.getByLabel('Episodes per cell').fill('30');
    await page.getByLabel('Episodes per cell').dispatchEvent('change');
    await page.getByRole('button', { name: 'Measure' }).click();
    await page.waitForFunction(() => Number(document.querySelector('#measure-progress').value) > 0, null, { timeout: 60_000 });
    // While the workers count, the page draws: ten frames in a row, none late.
    const gaps = await page.evaluate(async () => {
      const out = [];
      let last = performance.now();
      for (let i = 0; i < 10; i++) {
        const now = await new Promise((ok) => requestAnimationFrame(ok));
        out.push(now - last);
        last = now;
      }
      return out;
    });
    await page.waitForFunction(() => /episodes in [\d.]+ s/.test(document.querySelector('#measure-status').textContent), null, { timeout: 180_000 });
    tables[n] = await page.locator('#shots-accuracy tbody tr').evaluateAll((trs) => trs.map((tr) => [Number(tr.dataset.shots), Number(tr.dataset.accuracy)]));
    console.log(`${n} worker(s): ${await page.locator('#measure-status').textContent()}; frame gaps while counting up to ${Math.max(...gaps).toFixed(1)} ms`);
    assert.ok(Math.max(...gaps) < 150, `frames while Measure ran: ${gaps.map((g) => g.toFixed(0))}`);
    assert.equal(tables[n].length, 9);
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  }
  assert.deepEqual(tables[2], tables[1], 'two workers count what one counts');
});
