// The built page (dist/) in Debian's Chromium: with WebGPU (SwiftShader, via
// --enable-unsafe-webgpu) and without it (the CPU fallback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, dist, root, serveDist } from '../serve-dist.mjs';
import { sections } from '../build/wasm-sections.mjs';
import { open as openPage, settled, text, value } from './session.mjs';

const shots = join(root, 'web', 'screenshots');

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
  await mkdir(shots, { recursive: true });
});
after(() => server.close());

const open = (webgpu, query, viewport) => openPage(origin, webgpu, query, viewport);

async function heatmapPixels(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    return { rows: c.height, cols: c.width, data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
  }, id);
}

test('fallback: no WebGPU adapter, the CPU computes, the badge says why, the WebGPU module is never fetched', async () => {
  const { browser, page, problems, requested } = await open(false);
  await page.waitForFunction(() => !/loading/.test(document.querySelector('#backend').textContent), null, { timeout: 60_000 });
  const badge = await text(page, '#backend');
  assert.match(badge, /^CPU \(WebGPU unavailable in this browser: no GPU adapter\)/);
  assert.deepEqual(requested.filter((u) => /webgpu/.test(u)), []);
  assert.ok(requested.some((u) => /\/app-[0-9a-f]+_bg\.wasm$/.test(u)), 'the page module itself was fetched');
  await page.screenshot({ path: join(shots, 'cpu-1280.png'), fullPage: true });
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('WebGPU and CPU give the same numbers within 1e-4', async () => {
  const query = '?alpha=1.5&ff=0.7&k=8&depth=2&patch=28&len=12&images=0,6&mode=recent&backend=';
  const readouts = {};
  for (const [webgpu, backend] of [[true, 'webgpu'], [false, 'cpu']]) {
    const { browser, page, problems, requested } = await open(webgpu, query + backend);
    if (webgpu) {
      await page.waitForFunction(() => /^WebGPU/.test(document.querySelector('#backend').textContent), null, { timeout: 120_000 });
      assert.ok(requested.some((u) => /\/webgpu_bg\.wasm\?v=[0-9a-f]{16}&try=1$/.test(u)), 'the WebGPU module, asked for by its build hash, computes');
    }
    await settled(page);
    readouts[backend] = [await value(page, '#identity-diff'), await value(page, '#visual-share')];
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  }
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(readouts.webgpu[i] - readouts.cpu[i]) <= 1e-4, JSON.stringify(readouts));
  }
});

test('alpha by keyboard changes readouts and pixels; closed gates give exactly 0', async () => {
  const { browser, page, problems } = await open(false, '?alpha=0&ff=0&backend=cpu');
  await settled(page);
  assert.equal(await text(page, '#identity-diff'), '0');
  assert.equal(await text(page, '#tanh-alpha'), '0.0000');
  const before = await heatmapPixels(page, 'xattn-heatmap');
  const slider = page.getByLabel('Gate alpha', { exact: true });
  await slider.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('alpha') === '0.5');
  await settled(page);
  assert.equal(await text(page, '#tanh-alpha'), Math.tanh(0.5).toFixed(4));
  assert.notEqual(await text(page, '#identity-diff'), '0');
  assert.ok((await value(page, '#visual-share')) > 0);
  // The weights do not depend on alpha, so the heatmap keeps its pixels; K reshapes it.
  const k = page.locator('#resampler').getByLabel('Latents K', { exact: true });
  const rows = (await heatmapPixels(page, 'resampler-heatmap')).rows;
  const kBefore = await page.evaluate(() => new URLSearchParams(location.search).get('k'));
  await k.focus();
  await page.keyboard.press('ArrowRight');
  // The address bar is written once the controls rest: until then `settled` would
  // compare the last frame with the last address.
  await page.waitForFunction((was) => new URLSearchParams(location.search).get('k') !== was, kBefore);
  await settled(page);
  assert.equal((await heatmapPixels(page, 'resampler-heatmap')).rows, rows + 1);
  assert.equal((await heatmapPixels(page, 'xattn-heatmap')).cols, before.cols + 2, 'two images, one more token each');
  // Clicking a latent's row lays its attention over the picture.
  await page.locator('#resampler-heatmap').click({ position: { x: 5, y: 2 } });
  await page.waitForFunction(() => /Showing where latent 1 looks/.test(document.querySelector('#resampler')?.textContent ?? ''));
  const overlayAlpha = await page.evaluate(() => {
    const c = document.querySelector('.sample canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 === 3).reduce((a, b) => a + b, 0);
  });
  assert.ok(overlayAlpha > 0, 'overlay drawn');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

/** Independent statement of the rule: image j's marker at positions[j]. */
function expectedMask(len, positions, mode) {
  return Array.from({ length: len }, (_, i) => positions.map((p, j) => p <= i && (mode === 'all' || j + 1 === positions.length || positions[j + 1] > i)));
}

async function maskTable(page) {
  return page.$$eval('#mask-table tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.dataset.allowed === 'true')));
}

test('moving an image redraws #mask-table exactly as the rule says', async () => {
  const { browser, page, problems } = await open(false, '?len=10&images=1,5&mode=recent&backend=cpu');
  assert.deepEqual(await maskTable(page), expectedMask(10, [1, 5], 'recent'));
  const image2 = page.getByLabel('Image 2 position', { exact: true });
  await image2.focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('images') === '1,3');
  assert.deepEqual(await maskTable(page), expectedMask(10, [1, 3], 'recent'));
  await page.locator('#sequence').getByLabel('all preceding images').check();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('mode') === 'all');
  assert.deepEqual(await maskTable(page), expectedMask(10, [1, 3], 'all'));
  assert.equal(await page.locator('#mask-table tbody tr').first().locator('.none').count(), 1, 'text before any image: no visual input');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the URL round-trips, and malformed URLs keep the page alive', async () => {
  const query = 'alpha=-2.5&ff=0.75&k=12&depth=3&patch=32&size=224&width=64&len=14&images=0,4,8,12&mode=all&backend=cpu&scene=5&scale=0.35&task=shape&shots=2&episode=9&preset=few-shot';
  let { browser, page, problems } = await open(false, `?${query}`);
  assert.equal(await page.evaluate(() => location.search.slice(1)), query);
  assert.match(await text(page, '#resampler-shape'), /^49 patches → 12 tokens$/);
  await browser.close();

  ({ browser, page, problems } = await open(false, '?alpha=banana&k=99999&depth=-1&patch=&images=x,1,,999&mode=%%%&backend=tpu&scale=NaN&shots=99&task=size&scene=-4', { width: 390, height: 844 }));
  assert.match(await text(page, '.notice'), /repaired/);
  assert.match(await text(page, '#resampler-shape'), /→ 128 tokens$/);
  await page.screenshot({ path: join(shots, 'repaired-390.png'), fullPage: true });
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the address bar follows once the controls rest; Copy link has the state at once', async () => {
  const { browser, page } = await open(false, '?alpha=1');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const slider = page.getByLabel('Gate alpha', { exact: true });
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('button', { name: 'Copy link' }).click();
  const copied = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(copied.searchParams.get('alpha'), '1.05', 'the link has the new value');
  assert.equal(copied.origin, origin);
  await page.waitForFunction(() => new URLSearchParams(location.search).get('alpha') === '1.05');
  assert.equal(new URL(page.url()).search, copied.search, 'the address bar catches up with the same query');
  await browser.close();
});

test('screenshots at 1280 and 390 px with WebGPU', async () => {
  for (const width of [1280, 390]) {
    const { browser, page, problems } = await open(true, '?preset=few-shot&len=14&images=0,4,8,12', { width, height: 900 });
    // Auto, once the WebGPU module has arrived and both backends were measured.
    await page.waitForFunction(() => document.querySelector('#backend').dataset.measuredSizes === '1', null, { timeout: 120_000 });
    await settled(page);
    assert.match(await text(page, '#backend'), /auto: \d+ ms vs (CPU|WebGPU) \d+ ms at this size/);
    await page.screenshot({ path: join(shots, `webgpu-${width}.png`), fullPage: true });
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  }
});

test('dragging a marker along the strip moves the image and redraws the mask', async () => {
  const { browser, page, problems } = await open(false, '?len=10&images=1,5&mode=recent&backend=cpu');
  await page.locator('#sequence .strip').scrollIntoViewIfNeeded();
  const centre = async (token) => {
    const box = await page.locator(`.strip li[data-token="${token}"]`).boundingBox();
    return [box.x + box.width / 2, box.y + box.height / 2];
  };
  const drag = async (from, to, steps) => {
    const [[fx, fy], [tx, ty]] = [await centre(from), await centre(to)];
    await page.mouse.move(fx, fy);
    await page.mouse.down();
    await page.mouse.move(tx, ty, { steps });
    await page.mouse.up();
  };
  await drag(5, 8, 8);
  await page.waitForFunction(() => new URLSearchParams(location.search).get('images') === '1,8');
  assert.deepEqual(await maskTable(page), expectedMask(10, [1, 8], 'recent'));
  // The marker follows the pointer over free tokens and stops short of an occupied one.
  await drag(8, 1, 12);
  await page.waitForFunction(() => new URLSearchParams(location.search).get('images') === '1,2');
  assert.deepEqual(await maskTable(page), expectedMask(10, [1, 2], 'recent'));
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('a 224 px and a 480 px image both leave the resampler as K tokens', async () => {
  const { browser, page, problems } = await open(false, '?size=480&patch=16&k=64&depth=1&backend=cpu');
  await settled(page);
  assert.equal(await text(page, '#resampler-shape'), '900 patches → 64 tokens');
  assert.deepEqual(await heatmapPixels(page, 'resampler-heatmap').then((h) => [h.rows, h.cols]), [64, 900]);
  await page.getByLabel('Image size', { exact: true }).selectOption('224');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('size') === '224');
  await settled(page);
  assert.equal(await text(page, '#resampler-shape'), '196 patches → 64 tokens');
  assert.deepEqual(await heatmapPixels(page, 'resampler-heatmap').then((h) => [h.rows, h.cols]), [64, 196]);
  // The axes around the cells are drawn (dark ink in the label band under the cells).
  const ink = await page.evaluate(() => {
    const c = document.querySelector('#resampler .axes');
    const d = c.getContext('2d').getImageData(0, c.height - Math.round(40 * devicePixelRatio), c.width, Math.round(30 * devicePixelRatio)).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
    return dark;
  });
  assert.ok(ink > 50, `tick labels drawn (${ink} dark pixels)`);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('video preset: one clip of 4 frames, one block of K visual tokens', async () => {
  const { browser, page, problems } = await open(false, '?k=8&backend=cpu');
  await page.getByRole('button', { name: 'video', exact: true }).click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('preset') === 'video');
  await settled(page);
  assert.match(await page.locator('#sequence .strip').textContent(), /<video:4>/);
  assert.equal(await page.locator('#mask-table thead th').count(), 2, 'token column and one clip');
  assert.equal((await heatmapPixels(page, 'xattn-heatmap')).cols, 8, 'four frames resampled into K tokens');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('auto measures both backends again when the size class changes', async () => {
  const { browser, page, problems } = await open(true, '?k=8&depth=1&patch=28&size=224&backend=auto');
  await page.waitForFunction(() => document.querySelector('#backend').dataset.measuredSizes === '1', null, { timeout: 120_000 });
  assert.match(await text(page, '#backend'), /auto: \d+ ms vs (CPU|WebGPU) \d+ ms at this size/);
  await page.getByLabel('Image size', { exact: true }).selectOption('480');
  await page.waitForFunction(() => document.querySelector('#backend').dataset.measuredSizes === '2', null, { timeout: 120_000 });
  await settled(page);
  assert.equal(await text(page, '#resampler-shape'), '289 patches → 8 tokens');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the three shipped wasm modules have no name section (the build hook ran) and keep their target features', async () => {
  const files = (await readdir(dist)).filter((f) => f.endsWith('.wasm'));
  assert.equal(files.length, 3, files.join(', '));
  assert.ok(files.includes('webgpu_bg.wasm') && files.includes('trainer_bg.wasm'), files.join(', '));
  for (const file of files) {
    const custom = sections(await readFile(join(dist, file))).map((s) => s.name).filter((n) => n !== null);
    assert.ok(!custom.includes('name'), `${file}: ${custom.join(', ')}`);
    assert.ok(custom.includes('target_features'), `${file}: ${custom.join(', ')}`);
  }
});

test('the service worker precaches the page module but not the modules loaded on demand (WebGPU, trainer)', async () => {
  const sw = await readFile(join(dist, 'sw.js'), 'utf8');
  const files = JSON.parse(sw.match(/^const FILES = (.*);$/m)[1]);
  assert.ok(files.some((f) => /^app-[0-9a-f]+_bg\.wasm$/.test(f)), files.join(', '));
  assert.ok(files.some((f) => f.startsWith('snippets/')), 'the loader snippet is offline too');
  assert.deepEqual(files.filter((f) => f.startsWith('webgpu') || f.startsWith('trainer')), []);
});
