// The drawing pad in #trained, in Chromium: a student's strokes, drawn with a mouse and
// with a finger, are captioned with their colour and shape at the end of each stroke;
// Undo and Clear take strokes back; drawings teach a few-shot episode in
// #few-shot-live; nothing leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from '../serve-dist.mjs';
import { open } from './session.mjs';

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server.close());

/** Points of closed circle and triangle outlines and of a filled square's zigzag, in 0..1 of the pad. */
const circle = Array.from({ length: 41 }, (_, i) => {
  const a = (i / 40) * 2 * Math.PI;
  return [0.5 + 0.3 * Math.cos(a), 0.5 + 0.3 * Math.sin(a)];
});
const triangle = [[0.5, 0.2], [0.8, 0.8], [0.2, 0.8], [0.5, 0.2]];
const scribble = Array.from({ length: 12 }, (_, i) => {
  const y = 0.3 + (i / 11) * 0.4;
  return i % 2 ? [[0.7, y], [0.3, y]] : [[0.3, y], [0.7, y]];
}).flat();

async function padBox(page) {
  const pad = page.locator('#draw-pad');
  await pad.scrollIntoViewIfNeeded();
  return pad.boundingBox();
}

async function mouseStroke(page, points) {
  const box = await padBox(page);
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
  await page.mouse.up();
}

async function touchStroke(page, points) {
  const box = await padBox(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const touch = (type, [x, y]) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x: box.x + x * box.width, y: box.y + y * box.height }] });
  await touch('touchStart', points[0]);
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    for (let s = 1; s <= 4; s++) await touch('touchMove', [a[0] + ((b[0] - a[0]) * s) / 4, a[1] + ((b[1] - a[1]) * s) / 4]);
  }
  await touch('touchEnd', points.at(-1));
}

/** The caption of the newest drawing, once the model has answered for it. */
async function drawnCaption(page, previous = '') {
  await page.waitForFunction(
    (previous) => {
      const key = (document.querySelector('#caption-text')?.dataset.answers ?? '').split('|')[0];
      return key.startsWith('draw:') && key !== previous;
    },
    previous,
    { timeout: 60_000 },
  );
  return {
    text: (await page.locator('#caption-text').textContent()).trim(),
    key: (await page.locator('#caption-text').getAttribute('data-answers')).split('|')[0],
    strokes: Number(await page.locator('#draw-pad').getAttribute('data-strokes')),
  };
}

test('a blue circle outline drawn with the mouse is captioned as one; Undo and Clear take strokes back', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1');
  await page.waitForFunction(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').startsWith('scene:1|'), null, { timeout: 60_000 });
  await page.getByRole('button', { name: 'blue', exact: true }).click();
  await mouseStroke(page, circle);
  const one = await drawnCaption(page);
  assert.equal(one.strokes, 1);
  assert.match(one.text, /\bblue\b/);
  assert.match(one.text, /\bcircle\b/);
  // A small drawing is in the link, and the link brings it back, captioned the same.
  await page.waitForFunction(() => new URLSearchParams(location.search).has('draw'), null, { timeout: 10_000 });
  const linked = await open(origin, false, new URL(page.url()).search);
  await linked.page.waitForFunction(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').startsWith('draw:'), null, { timeout: 60_000 });
  assert.equal((await linked.page.locator('#caption-text').textContent()).trim(), one.text);
  assert.equal(await linked.page.locator('#draw-pad').getAttribute('data-strokes'), '1');
  assert.deepEqual(linked.problems, { console: [], foreign: [] });
  await linked.browser.close();

  await page.getByRole('button', { name: 'red', exact: true }).click();
  await page.getByLabel('Brush size').selectOption({ label: 'thick' });
  await mouseStroke(page, [[0.1, 0.1], [0.2, 0.15]]);
  const two = await drawnCaption(page, one.key);
  assert.equal(two.strokes, 2);

  await page.getByRole('button', { name: 'Undo' }).click();
  const undone = await drawnCaption(page, two.key);
  assert.equal(undone.strokes, 1);
  assert.equal(undone.text, one.text, 'after Undo the picture, and so the caption, is the circle again');

  await page.getByRole('button', { name: 'Clear' }).click();
  const cleared = await drawnCaption(page, undone.key);
  assert.equal(cleared.strokes, 0);
  assert.equal(cleared.text, 'nothing');
  await page.waitForFunction(() => !new URLSearchParams(location.search).has('draw'), null, { timeout: 10_000 });
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('a red square filled by a finger is captioned as one, and the page does not scroll while drawing', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1');
  await page.waitForFunction(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').startsWith('scene:1|'), null, { timeout: 60_000 });
  await page.getByLabel('Brush size').selectOption({ label: 'thick' });
  await padBox(page);
  const scrolled = await page.evaluate(() => window.scrollY);
  await touchStroke(page, scribble);
  const c = await drawnCaption(page);
  assert.equal(c.strokes, 1);
  assert.match(c.text, /\bred\b/);
  assert.match(c.text, /\bsquare\b/);
  assert.equal(await page.evaluate(() => window.scrollY), scrolled);
  assert.equal(await page.locator('#draw-pad').evaluate((e) => getComputedStyle(e).touchAction), 'none');
  // An outline, as most people draw, by finger too.
  await page.getByRole('button', { name: 'Clear' }).click();
  const cleared = await drawnCaption(page, c.key);
  await page.getByRole('button', { name: 'green', exact: true }).click();
  await page.getByLabel('Brush size').selectOption({ label: 'medium' });
  await touchStroke(page, triangle);
  const outline = await drawnCaption(page, cleared.key);
  assert.equal(outline.strokes, 1);
  assert.match(outline.text, /\bgreen\b/);
  assert.match(outline.text, /\btriangle\b/);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test("two drawings with the student's answers as shots and a third as the query: the model answers as the shots teach", async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1');
  await page.waitForFunction(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').startsWith('scene:1|'), null, { timeout: 60_000 });
  await page.getByRole('radio', { name: 'your own pictures' }).check();
  assert.equal(await page.locator('#seeded-episode').isVisible(), false, "the seeded episode's controls make way");
  const status = page.locator('#own-episode-status');
  assert.match(await status.textContent(), /^Add a query/);
  let key = '';
  /** Clears the pad, draws one stroke in `colour` with `brush`, and waits for its caption. */
  const draw = async (colour, brush, points) => {
    const clear = page.getByRole('button', { name: 'Clear' });
    if (await clear.isEnabled()) {
      await clear.click();
      key = (await drawnCaption(page, key)).key;
    }
    await page.getByRole('button', { name: colour, exact: true }).click();
    await page.getByLabel('Brush size').selectOption({ label: brush });
    await mouseStroke(page, points);
    key = (await drawnCaption(page, key)).key;
  };
  await draw('red', 'medium', circle);
  await page.getByRole('button', { name: 'Add your picture as a shot' }).click();
  assert.match(await status.textContent(), /^Pick an answer for shot 1/);
  await page.getByLabel('answer for shot 1').selectOption('circle');
  await draw('blue', 'thick', scribble);
  await page.getByRole('button', { name: 'Add your picture as a shot' }).click();
  await page.getByLabel('answer for shot 2').selectOption('square');
  await draw('green', 'medium', triangle);
  await page.getByRole('button', { name: 'Use your picture as the query' }).click();
  assert.equal(await status.textContent(), '');

  const answered = (word) =>
    page.waitForFunction((word) => (document.querySelector('#few-shot-answer')?.textContent ?? '').startsWith(`${word} (p = `), word, { timeout: 60_000 });
  await answered('triangle');
  const row = await page.locator('#episode-prompt li').evaluateAll((items) => items.map((li) => li.textContent || 'IMG'));
  assert.deepEqual(row, ['IMG', ':', 'circle', '<eoc>', 'IMG', ':', 'square', '<eoc>', 'IMG', ':']);
  assert.equal(await page.locator('#few-shot-live-mask tbody tr').count(), 10, 'one mask row per token');
  // The same pictures, answered by colour: the model now names the query's colour.
  await page.getByLabel('answer for shot 1').selectOption('red');
  await page.getByLabel('answer for shot 2').selectOption('blue');
  await answered('green');
  assert.equal(await page.getByLabel('answer for shot 1').inputValue(), 'red', 'the picked answer stays picked');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});
