// The trained mini-Flamingo on the page, in Chromium: captions of a drawn picture,
// the gate scale against the frozen language model, bad pictures, and "Measure".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { serveDist } from '../serve-dist.mjs';
import { hashOf, imagePixels, open as openPage, until } from './session.mjs';

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server.close());

const open = (query, webgpu = false) => openPage(origin, webgpu, query);

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])), 0);
  return Buffer.concat([head, data, crc]);
};
const ihdr = (w, h) => {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(w, 0);
  d.writeUInt32BE(h, 4);
  d[8] = 8; // bit depth
  d[9] = 2; // RGB
  return chunk('IHDR', d);
};
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG drawn here, not by the page's generator: a blue triangle on light grey. */
function blueTriangle(side = 128) {
  const rows = [];
  const inside = (x, y) => {
    // Apex at the top centre, base near the bottom: about 60 % of the side.
    const top = side * 0.2, bottom = side * 0.8, half = side * 0.32;
    if (y < top || y > bottom) return false;
    const t = (y - top) / (bottom - top);
    return Math.abs(x - side / 2) <= t * half;
  };
  for (let y = 0; y < side; y++) {
    const row = Buffer.alloc(1 + side * 3);
    for (let x = 0; x < side; x++) {
      const [r, g, b] = inside(x + 0.5, y + 0.5) ? [40, 80, 220] : [225, 225, 225];
      row.set([r, g, b], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([SIGNATURE, ihdr(side, side), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** Waits for the caption computed for the picture `key` (any if omitted) at `scale`. */
async function captionAt(page, scale, key) {
  await page.waitForFunction(
    ([scale, key]) => {
      const a = document.querySelector('#caption-text')?.dataset.answers ?? '';
      const [k, s] = a.split('|');
      return s === String(scale) && (key === undefined ? true : key === 'own' ? k.startsWith('own:') : k === key);
    },
    [scale, key],
    { timeout: 60_000 },
  );
  return {
    text: (await page.locator('#caption-text').textContent()).trim(),
    identical: await page.locator('#lm-identical').getAttribute('data-identical'),
    readout: (await page.locator('#lm-identical').textContent()).trim(),
    key: (await page.locator('#caption-text').getAttribute('data-answers')).split('|')[0],
  };
}

const upload = (page, name, buffer, mimeType = 'image/png') =>
  page.getByLabel('Your image').setInputFiles({ name, mimeType, buffer });

for (const webgpu of [false, true]) {
  test(`a drawn blue triangle is captioned "blue triangle" (${webgpu ? 'WebGPU present' : 'CPU'})`, async () => {
    const { browser, page, problems } = await open('?scene=1&scale=1', webgpu);
    await captionAt(page, 1, 'scene:1');
    await upload(page, 'triangle.png', blueTriangle());
    const c = await captionAt(page, 1, 'own');
    assert.match(c.text, /\bblue\b/);
    assert.match(c.text, /\btriangle\b/);
    assert.equal(c.identical, 'false');
    assert.match(await page.locator('#picture-message').textContent(), /stays on this computer/);
    // The bars and the lens are drawn for each generated word.
    assert.ok((await page.locator('#caption-words .word').count()) >= 2);
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  });
}

test('at scale 0 the model is the language model: identical logits, one caption for two pictures; at scale 1 they differ', async () => {
  const captions = {};
  for (const scale of [0, 1]) {
    const { browser, page, problems } = await open(`?scene=1&scale=${scale}`);
    const scene = await captionAt(page, scale, 'scene:1');
    await upload(page, 'triangle.png', blueTriangle());
    const own = await captionAt(page, scale, 'own');
    captions[scale] = [scene, own];
    if (scale === 0) {
      assert.equal(scene.readout, 'identical');
      assert.equal(own.readout, 'identical');
      assert.equal(own.identical, 'true');
      assert.match(await page.locator('#trained-gates').textContent(), /block 1: tanh\(attention gate\) = 0\.0000/);
    } else {
      assert.match(own.readout, /^differs: max \|Δlogit\| = /);
    }
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  }
  const sceneName = captions[1][0].text;
  assert.equal(captions[0][0].text, captions[0][1].text, 'closed gates: the same caption for both pictures');
  assert.notEqual(captions[1][0].text, captions[1][1].text, `open gates: ${sceneName} vs the blue triangle`);
});

test('the gate-scale slider recaptions, and the tanh readout follows it', async () => {
  const { browser, page } = await open('?scene=1&scale=1');
  await captionAt(page, 1, 'scene:1');
  const slider = page.getByRole('slider', { name: 'Gate scale' });
  await slider.focus();
  await slider.press('Home');
  const closed = await captionAt(page, 0, 'scene:1');
  assert.equal(closed.readout, 'identical');
  await slider.press('End');
  const wide = await captionAt(page, 2, 'scene:1');
  assert.equal(wide.identical, 'false');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('scale') === '2');
  await browser.close();
});

test('while the page rests it keeps every slider caption, and a kept one reads as one computed afresh', async () => {
  const readouts = async (page) => ({
    text: (await page.locator('#caption-text').textContent()).trim(),
    delta: await page.locator('#lm-identical').getAttribute('data-max-delta'),
    lm: (await page.locator('#lm-identical').textContent()).trim(),
    gates: (await page.locator('#trained-gates').textContent()).trim(),
    words: await page.locator('#caption-words .word').allTextContents(),
  });
  const { browser, page, problems } = await open('?scene=1&scale=1');
  await captionAt(page, 1, 'scene:1');
  // The slider's 41 values, 0 to 2 by 0.05.
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.kept === '41', null, { timeout: 60_000 });
  const slider = page.getByRole('slider', { name: 'Gate scale' });
  await slider.focus();
  const kept = {};
  for (const [key, scale] of [['Home', 0], ['PageUp', null], ['End', 2]]) {
    await slider.press(key);
    const value = scale ?? Number(await slider.inputValue());
    await captionAt(page, value, 'scene:1');
    kept[value] = await readouts(page);
  }
  assert.equal(await page.locator('#caption-text').getAttribute('data-kept'), '41', 'nothing new was computed');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
  for (const [scale, shown] of Object.entries(kept)) {
    const fresh = await open(`?scene=1&scale=${scale}`);
    await captionAt(fresh.page, Number(scale), 'scene:1');
    assert.deepEqual(await readouts(fresh.page), shown, `scale ${scale}`);
    await fresh.browser.close();
  }
});

test('panels far from the view are skipped, and a jump to one lands on it; the few-shot answer waits for its panel, then equals a fresh page\'s', async () => {
  const { browser, page, problems } = await open('?scene=1&scale=1');
  await captionAt(page, 1, 'scene:1');
  // The video panel, far below, stops being rendered once the page is laid out (its
  // contents are skipped: checkVisibility answers for what is inside it).
  const drawn = () => page.evaluate(() => document.querySelector('#video-title').checkVisibility({ contentVisibilityAuto: true }));
  await page.waitForFunction(() => document.querySelector('main')?.classList.contains('laid-out'), null, { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('#video-title').checkVisibility({ contentVisibilityAuto: true }), null, { timeout: 10_000 });
  // Dragged at the top, the gate does not compute the answer of a panel 3,000 px below.
  assert.equal(await page.locator('#few-shot-answer').getAttribute('data-scale'), null);
  const slider = page.getByRole('slider', { name: 'Gate scale' });
  await slider.focus();
  await slider.press('Home');
  await captionAt(page, 0, 'scene:1');
  assert.equal(await page.locator('#few-shot-answer').getAttribute('data-scale'), null);
  const answerAtZero = async (p) => {
    await p.locator('#few-shot-live').scrollIntoViewIfNeeded();
    await p.waitForFunction(() => document.querySelector('#few-shot-answer').dataset.scale === '0', null, { timeout: 60_000 });
    return (await p.locator('#few-shot-answer').textContent()).trim();
  };
  const answer = await answerAtZero(page);
  // A jump to a skipped panel (a contents link, the overview's "open") lands on it and it
  // stays there as it and its neighbours are drawn: their sizes were kept.
  await page.evaluate(() => window.scrollTo(0, 0));
  const frames = (n) => page.evaluate((n) => new Promise((done) => { const f = (k) => (k ? requestAnimationFrame(() => f(k - 1)) : done()); f(n); }), n);
  await frames(3);
  assert.equal(await drawn(), false);
  await page.evaluate(() => document.querySelector('#video').scrollIntoView({ block: 'start' }));
  const top = () => page.evaluate(() => document.querySelector('#video').getBoundingClientRect().top);
  await frames(3);
  assert.equal(await drawn(), true);
  const landed = await top();
  await frames(10);
  // Where a jump puts a panel: below the room kept for the lesson's box (scroll-margin-top).
  const margin = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('#video')).scrollMarginTop));
  assert.ok(Math.abs(landed - margin) < 2, `landed ${landed} px from the top of the view, ${margin} meant`);
  assert.equal(await top(), landed, 'and stayed');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
  const fresh = await open('?scene=1&scale=0');
  await captionAt(fresh.page, 0, 'scene:1');
  assert.equal(await answerAtZero(fresh.page), answer);
  await fresh.browser.close();
});

test('bad pictures get a message and the previous picture and caption stay', async () => {
  const { browser, page, problems } = await open('?scene=3&scale=1');
  const before = await captionAt(page, 1, 'scene:3');
  const huge = Buffer.concat([SIGNATURE, ihdr(20000, 20000), chunk('IEND', Buffer.alloc(0))]);
  const cases = [
    ['notes.png', Buffer.from('These are my notes, not a picture.\n'), /not a picture|starts like text/],
    ['empty.png', Buffer.alloc(0), /empty/],
    ['huge.png', huge, /20000 × 20000/],
  ];
  for (const [name, bytes, message] of cases) {
    await upload(page, name, bytes);
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#picture-message').textContent), message.source, { timeout: 30_000 });
    const after = await captionAt(page, 1, 'scene:3');
    assert.equal(after.text, before.text, name);
    assert.match(await page.locator('.picture-name').textContent(), /^scene 3/);
  }
  assert.equal(new URL(page.url()).searchParams.get('scene'), '3');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('Measure fills the accuracy table: ambiguous at 0 shots, learned by 4', async () => {
  const { browser, page, problems } = await open('?scale=1');
  await captionAt(page, 1);
  const start = Date.now();
  await page.getByRole('button', { name: 'Measure' }).click();
  // The page keeps answering while it measures.
  await page.waitForFunction(() => Number(document.querySelector('#measure-progress').value) > 0, null, { timeout: 60_000 });
  const alive = await page.evaluate(() => new Promise((resolve) => {
    const t = performance.now();
    requestAnimationFrame(() => resolve(performance.now() - t));
  }));
  assert.ok(alive < 1000, `a frame came ${alive} ms later`);
  // Every row appears with the first pieces and sharpens; the numbers read are the finished ones.
  await page.waitForFunction(() => document.querySelectorAll('#shots-accuracy tbody tr').length === 9, null, { timeout: 60_000 });
  await page.waitForFunction(() => /episodes in [\d.]+ s/.test(document.querySelector('#measure-status').textContent), null, { timeout: 180_000 });
  const rows = await page.locator('#shots-accuracy tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [Number(tr.dataset.shots), Number(tr.dataset.accuracy)]));
  const at = Object.fromEntries(rows);
  console.log(`Measure (100 episodes per cell): ${((Date.now() - start) / 1000).toFixed(1)} s; accuracy by shots ${JSON.stringify(at)}`);
  assert.ok(at[0] <= 0.75, `0 shots: ${at[0]}`);
  assert.ok(at[4] >= 0.9, `4 shots: ${at[4]}`);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('Measure can be cancelled: it stops, says how far it got, and can start again', async () => {
  const { browser, page, problems } = await open('?scale=1');
  await captionAt(page, 1);
  const cancel = page.getByRole('button', { name: 'Cancel' });
  assert.equal(await cancel.isDisabled(), true, 'nothing to cancel before Measure');
  await page.getByRole('button', { name: 'Measure' }).click();
  await page.waitForFunction(() => Number(document.querySelector('#measure-progress').value) >= 40, null, { timeout: 60_000 });
  await cancel.click();
  await page.waitForFunction(() => /^Cancelled after \d+ of 1800 episodes/.test(document.querySelector('#measure-status')?.textContent ?? ''), null, { timeout: 30_000 });
  const stopped = Number(await page.locator('#measure-progress').getAttribute('value'));
  assert.ok(stopped < 1800, `stopped at ${stopped}`);
  assert.equal(await page.locator('#shots-accuracy tbody tr').count(), 9, 'the table keeps what was counted, every row');
  await page.waitForTimeout(1000);
  assert.equal(Number(await page.locator('#measure-progress').getAttribute('value')), stopped, 'no piece counted after the cancel');
  assert.equal(await cancel.isDisabled(), true);
  // Measuring again starts from zero.
  await page.getByRole('button', { name: 'Measure' }).click();
  await page.waitForFunction(() => /^\d+ of 1800 episodes$/.test(document.querySelector('#measure-status')?.textContent ?? ''), null, { timeout: 30_000 });
  await cancel.click();
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the gate schedule draws from the training record and states the outcome', async () => {
  const { browser, page, problems } = await open('');
  await page.waitForFunction(() => /At step 0/.test(document.querySelector('#gate-outcome')?.textContent ?? ''), null, { timeout: 60_000 });
  const outcome = await page.locator('#gate-outcome').textContent();
  // The step-0 losses come from the record the page was served, not from this test.
  const record = await page.evaluate(async () => (await fetch('assets/mini-flamingo-training.json')).json());
  const start = (log) => log[0].loss.toFixed(3);
  assert.ok(outcome.includes(`(${start(record.runs.ungated.log)} vs ${start(record.runs.trained)})`), outcome);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('work that can wait waits while the hand is busy: the training record, the start after the first frame, the service worker', async () => {
  // An input every 40 ms from the page's start until half a second after the first
  // caption, as a student who drags at once; every input's time is kept.
  const busy = () => {
    window.__inputs = [];
    document.addEventListener('flamingo-drawn', () => { window.__drawnAt = performance.now(); });
    const register = ServiceWorkerContainer.prototype.register;
    ServiceWorkerContainer.prototype.register = function (...args) {
      window.__registeredAt = performance.now();
      return register.apply(this, args);
    };
    let until = Infinity;
    const poke = () => {
      document.dispatchEvent(new Event('input', { bubbles: true }));
      window.__inputs.push(performance.now());
      if (until === Infinity && document.querySelector('#caption-text')?.dataset.answers) until = performance.now() + 500;
      if (performance.now() < until) setTimeout(poke, 40);
      else window.__rested = true;
    };
    setTimeout(poke, 0);
  };
  const { browser, page, problems } = await openPage(origin, false, '?scene=1', undefined, busy);
  await page.waitForFunction(() => window.__rested && window.__drawnAt && window.__registeredAt
    && performance.getEntriesByType('resource').some((e) => e.name.endsWith('mini-flamingo-training.json')), null, { timeout: 60_000 });
  const { inputs, record, drawn, registered } = await page.evaluate(() => ({
    inputs: window.__inputs,
    record: performance.getEntriesByType('resource').find((e) => e.name.endsWith('mini-flamingo-training.json')).startTime,
    drawn: window.__drawnAt,
    registered: window.__registeredAt,
  }));
  // Each waited without an input: 150 ms (the page's rest, touch::QUIET_MS), and the
  // service worker, which downloads every file again, a second (boot.js), counted from
  // no sooner than the page's first frame.
  assert.ok(registered >= drawn + 995, `service worker registered at ${registered.toFixed(0)} ms, drawn at ${drawn.toFixed(0)} ms`);
  for (const [what, at, wait] of [['the training record', record, 150], ['flamingo-drawn', drawn, 150], ['the service worker', registered, 1000]]) {
    const before = inputs.filter((t) => t <= at);
    const rest = at - Math.max(...before);
    assert.ok(rest >= wait - 5, `${what} at ${at.toFixed(0)} ms, ${rest.toFixed(0)} ms after an input (${inputs.length} inputs, ${inputs[0].toFixed(0)}–${inputs.at(-1).toFixed(0)} ms)`);
  }
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the first screen comes first: its caption shows before the panels below are built, and a link to one of them still lands on it and stays in the address bar', async () => {
  // When the caption first shows, and when the last panel of the page (#blip2) appears.
  const init = () => {
    const seen = {};
    window.__firstScreen = seen;
    new MutationObserver(() => {
      const now = performance.now();
      if (seen.caption === undefined && document.querySelector('#caption-text')?.dataset.answers) seen.caption = now;
      if (seen.last === undefined && document.getElementById('blip2')) seen.last = now;
    }).observe(document, { subtree: true, childList: true, attributes: true });
  };
  const { browser, page, problems } = await openPage(origin, false, '?scene=1&scale=1#batch', { width: 1280, height: 900 }, init);
  const { caption, last } = await page.evaluate(() => window.__firstScreen);
  assert.ok(caption < last, `caption at ${caption?.toFixed(0)} ms, the last panel at ${last?.toFixed(0)} ms`);
  // The link's panel was not there when the browser looked for it: the page follows
  // the link once the panel is.
  await page.waitForFunction(() => {
    const top = document.querySelector('#batch').getBoundingClientRect().top;
    return top >= 0 && top < innerHeight / 2;
  }, null, { timeout: 10_000 });
  // The address bar, rewritten to the page's whole state, keeps the link's fragment.
  await page.waitForFunction(() => location.search.includes('alpha='), null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => location.hash), '#batch');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('while the gate scale is dragged, the caption one move ahead is computed after each frame', async () => {
  // Inputs every 40 ms from the start keep the page from resting, so the idle fill keeps
  // at most a caption or two near 1 (where a long task of the page's start delays an
  // input past the rest); then the slider jumps to 1.5 and steps by 0.05 to 1.7, one
  // step each 200 ms, far from what the fill could have kept.
  const busy = () => {
    window.__poking = true;
    const poke = () => {
      document.dispatchEvent(new Event('input', { bubbles: true }));
      if (window.__poking) setTimeout(poke, 40);
    };
    setTimeout(poke, 0);
  };
  const { browser, page, problems } = await openPage(origin, false, '?scene=1&scale=1', undefined, busy, true);
  await captionAt(page, 1, 'scene:1');
  const kept = await page.evaluate(async () => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
    const out = document.querySelector('#caption-text');
    const counts = [Number(out.dataset.kept)];
    for (const v of ['1.5', '1.55', '1.6', '1.65', '1.7', '2', '1.95']) {
      set.call(input, v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((done) => setTimeout(done, 200));
      counts.push(Number(out.dataset.kept));
    }
    window.__poking = false;
    return counts;
  });
  // Each step computes its own caption if it is missing and the next one the way the
  // slider moved: the jump 1 → 1.5 keeps 1.5 and 2.0; 1.55 was not ahead, so it keeps
  // 1.55 and 1.6; from then on each step found its caption kept and keeps one more. At
  // the end (the jump to 2, kept since the first jump) the only way on is back: it keeps
  // 1.95, and the step there finds it kept and keeps 1.9.
  const added = kept.slice(1).map((k, i) => k - kept[i]);
  assert.deepEqual(added, [2, 2, 1, 1, 1, 1, 1], `kept counts ${kept}`);
  assert.equal(await page.locator('#caption-text').getAttribute('data-answers'), 'scene:1|1.95');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('a caption word pointed at lights the patches it reaches, and only while it is', async () => {
  const { browser, page, problems } = await open('?scene=1&scale=1&backend=cpu');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers === 'scene:1|1', null, { timeout: 60_000 });
  // The overlay's pixels, as one number: with no word, only the patch grid's lines.
  const overlay = async () => hashOf((await imagePixels(page, '#reach-overlay'))[0].data);
  const grid = await overlay();
  const word = page.locator('#caption-words .word', { hasText: 'orange' });
  await word.focus();
  assert.equal(await word.getAttribute('aria-pressed'), 'true');
  await until(async () => (await overlay()) !== grid, 'the word lights its patches', 5_000);
  await word.blur();
  await page.waitForFunction(() => document.querySelector('#caption-words .word[aria-pressed=true]') === null);
  assert.equal(await overlay(), grid);
  // A gate step with no word pointed at leaves the grid alone.
  await page.getByRole('slider', { name: 'Gate scale' }).fill('0.5');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers === 'scene:1|0.5', null, { timeout: 60_000 });
  assert.equal(await overlay(), grid);
  // The heatmaps' legends, drawn once, are the colour map's ramp, dark to bright.
  const ends = (await imagePixels(page, '#trained img.legend')).map(({ width, data }) => {
    const at = (i) => data.slice(4 * i, 4 * i + 3);
    return [width, at(0), at(width - 1)];
  });
  assert.equal(ends.length, 2);
  for (const [width, dark, bright] of ends) {
    assert.equal(width, 128);
    assert.ok(dark.reduce((a, b) => a + b) < 200 && bright.reduce((a, b) => a + b) > 450, `${dark} … ${bright}`);
  }
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('a figure out of sight waits while the gate is dragged: drawn once the drag pauses, as on screen, and at once when scrolled into view', async () => {
  // The window is short enough that the caption bars are below it.
  const { browser, page, problems } = await openPage(origin, false, '?scene=1&scale=1', { width: 1280, height: 700 });
  await captionAt(page, 1, 'scene:1');
  // Every caption kept, so that each step of the drags below is answered at once.
  await page.waitForFunction(() => Number(document.querySelector('#caption-text').dataset.kept) >= 41, null, { timeout: 120_000 });
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    window.__barsDrawn = 0;
    for (const m of ['fillText', 'fillRect']) {
      const draw = CanvasRenderingContext2D.prototype[m];
      CanvasRenderingContext2D.prototype[m] = function (...a) {
        if (this.canvas.id === 'caption-bars') window.__barsDrawn += 1;
        return draw.apply(this, a);
      };
    }
  });
  const hidden = await page.evaluate(() => document.getElementById('caption-bars').getBoundingClientRect().top > innerHeight);
  assert.ok(hidden, 'the caption bars start below the window');
  // A drag: a step every 40 ms (a pause is 150 ms), each step's caption shown.
  const drag = (values) => page.evaluate(async (values) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
    const drawn = [];
    for (const v of values) {
      set.call(input, v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((done) => setTimeout(done, 40));
      drawn.push(window.__barsDrawn);
    }
    return drawn;
  }, values);
  const barsHash = async () => hashOf(await page.evaluate(() => {
    const c = document.getElementById('caption-bars');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  }));
  const during = await drag(['1.05', '1.1', '1.15', '1.2', '1.25', '1.3']);
  assert.deepEqual(during, [0, 0, 0, 0, 0, 0], 'nothing drawn on the bars during the drag');
  await captionAt(page, 1.3, 'scene:1');
  await until(() => page.evaluate(() => window.__barsDrawn > 0), 'the bars drawn once the drag paused', 5_000);
  const paused = await barsHash();
  // The same step drawn on screen: the bars in view, away to 1.25 and back to 1.3.
  await page.evaluate(() => document.getElementById('caption-bars').scrollIntoView({ block: 'center' }));
  await drag(['1.25', '1.3']);
  await captionAt(page, 1.3, 'scene:1');
  assert.equal(await barsHash(), paused, 'drawn after the pause as it is drawn on screen');
  // Scrolled away again, a drag; brought into view in its middle, the bars follow at once.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const start = await page.evaluate(() => window.__barsDrawn);
  const away = await drag(['1.35', '1.4', '1.45']);
  assert.ok(away.every((n) => n === start), `nothing drawn while away: ${start} then ${away}`);
  const shown = await page.evaluate(async () => {
    document.getElementById('caption-bars').scrollIntoView({ block: 'center' });
    for (let i = 0; i < 3; i++) await new Promise((done) => requestAnimationFrame(done));
    return window.__barsDrawn;
  });
  assert.ok(shown > start, 'drawn within three frames of coming into view, before the pause');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});
