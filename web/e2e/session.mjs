// Opening the built page in Chromium, and reading it: shared by the browser tests.
import { after } from 'node:test';
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../serve-dist.mjs';

// Every browser a test file opened is closed when the file ends, also after a failed
// assertion that skipped its test's own close: a Chromium left running keeps the test
// process, and so the whole suite, from ever exiting.
const launched = new Set();
after(() => Promise.all([...launched].map((b) => b.close().catch(() => {}))));

/** A page with console errors and off-origin requests recorded, and every URL it
 * requested; `init`, if given, runs in the page before its own scripts. It waits for the
 * whole page, or with `firstScreen` only for the trained model's first caption (a hand
 * that never rests keeps the panels below from being built). */
export async function open(origin, webgpu, query = '', viewport = { width: 1280, height: 900 }, init, firstScreen = false) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: chromiumArgs(webgpu),
  });
  launched.add(browser);
  browser.on('disconnected', () => launched.delete(browser));
  const page = await browser.newPage({ viewport });
  if (init) await page.addInitScript(init);
  const problems = { console: [], foreign: [] };
  const requested = [];
  page.on('request', (r) => {
    requested.push(r.url());
    if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) problems.foreign.push(r.url());
  });
  page.on('console', (m) => m.type() === 'error' && problems.console.push(m.text()));
  page.on('pageerror', (e) => problems.console.push(String(e)));
  // A wait that times out says what the page logged as errors (a panic, say), which a
  // CI log otherwise never shows.
  const wait = page.waitForFunction.bind(page);
  page.waitForFunction = async (...args) => {
    try {
      return await wait(...args);
    } catch (e) {
      if (problems.console.length) e.message += `; the page's errors: ${problems.console.join(' | ')}`;
      throw e;
    }
  };
  await page.goto(`${origin}/${query}`);
  // The first frame, and the whole page: the panels below the first screen are built
  // after its caption (crates/app/src/page/later.rs), the last of them #blip2.
  if (firstScreen) await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 120_000 });
  else await page.waitForFunction(() => /\d+ patches → \d+ tokens/.test(document.querySelector('#resampler-shape')?.textContent ?? '') && document.getElementById('blip2'), null, { timeout: 120_000 });
  return { browser, page, problems, requested };
}

export const text = (page, sel) => page.locator(sel).textContent();
export const value = async (page, sel) => Number(await page.locator(sel).getAttribute('data-value'));

/** Waits until the readouts come from the state now in the URL. */
export async function settled(page) {
  await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 60_000 });
}


/** The pixels of each image matching `sel` (the page shows its still pictures as images), once
 * its latest drawing is shown (`data-drawn`, `canvas::still`) and decoded: `[{ width, height,
 * data }]`, `data` the RGBA bytes as an array. */
export const imagePixels = (page, sel) =>
  page.evaluate(async (sel) => Promise.all([...document.querySelectorAll(sel)].map(async (image) => {
    while (!image.dataset.drawing || image.dataset.drawn !== image.dataset.drawing) await new Promise((done) => requestAnimationFrame(done));
    await image.decode();
    const c = document.createElement('canvas');
    [c.width, c.height] = [image.naturalWidth, image.naturalHeight];
    const x = c.getContext('2d');
    x.drawImage(image, 0, 0);
    return { width: c.width, height: c.height, data: Array.from(x.getImageData(0, 0, c.width, c.height).data) };
  })), sel);

/** A hash of some bytes (FNV-1a), to tell pictures apart. */
export const hashOf = (bytes) => bytes.reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);

/** Polls `check` until it holds. For async checks: Playwright's waitForFunction takes
 * the promise an async predicate returns for true at once. */
export async function until(check, what, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}
