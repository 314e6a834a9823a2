// The overview (#overview), in Chromium: the whole trained model as one figure at the
// top of the page, drawn from the caption's own tensors; every stage opens its detail,
// by mouse or keyboard, and the URL keeps what is open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from '../serve-dist.mjs';
import { hashOf, imagePixels, open } from './session.mjs';

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server.close());

const STAGES = ['picture', 'encoder', 'resampler', 'lm-0', 'block-0', 'lm-1', 'lm-2', 'block-1', 'lm-3', 'next-word'];

/** Waits for the caption of `key` at `scale`, then reads the overview. */
async function overview(page, key, scale) {
  await page.waitForFunction((answer) => document.querySelector('#caption-text')?.dataset.answers === answer, `${key}|${scale}`, { timeout: 60_000 });
  const [[encoder], [picture]] = await Promise.all(['encoder', 'picture'].map((s) => imagePixels(page, `#overview [data-stage="${s}"] img`)));
  const read = await page.evaluate(() => {
    const o = document.querySelector('#overview');
    return {
      stages: [...o.querySelectorAll('[data-stage]')].map((e) => e.dataset.stage),
      gates: [...o.querySelectorAll('[data-stage^="block-"]')].map((e) => Number(e.dataset.gate)),
      next: o.querySelector('.next-bars').dataset.probabilities,
      dims: [...o.querySelectorAll('.dims')].map((e) => e.textContent),
    };
  });
  return { ...read, encoder: hashOf(encoder.data), picture: hashOf(picture.data) };
}

test('#overview is the first figure: every stage from the real tensors; at scale 0 the dials read 0 and the next word is the LM alone', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=0');
  assert.equal(await page.evaluate(() => document.querySelector('figure')?.id), 'overview');
  const missing = await page.evaluate(() => [...document.querySelectorAll('#contents a')].map((a) => a.getAttribute('href')).filter((h) => !document.querySelector(h)));
  assert.deepEqual(missing, [], 'every contents link has its section');
  const closed = await overview(page, 'scene:1', 0);
  assert.deepEqual(closed.stages, STAGES);
  assert.deepEqual(closed.gates, [0, 0]);
  assert.deepEqual(closed.dims.slice(0, 3), ['[32, 32, 3]', '[64, 32]', '[8, 32] to each block']);
  assert.match(closed.dims[3], /^\[\d+\]$/);
  assert.match(closed.dims[4], /^\[\d+, 21\]$/);
  // Closed gates: another picture gives the very same next-word distribution.
  await page.getByRole('button', { name: 'New scene' }).click();
  await page.waitForFunction(() => /^scene:\d+\|0$/.test(document.querySelector('#caption-text')?.dataset.answers ?? '') && !document.querySelector('#caption-text').dataset.answers.startsWith('scene:1|'), null, { timeout: 60_000 });
  const key = (await page.locator('#caption-text').getAttribute('data-answers')).split('|')[0];
  const other = await overview(page, key, 0);
  assert.equal(other.next, closed.next, 'the LM alone does not see the picture');
  assert.notEqual(other.encoder, closed.encoder, 'a new picture, new patch features');
  assert.notEqual(other.picture, closed.picture);
  // Open: the dials move, and the two pictures' next words differ.
  const slider = page.getByRole('slider', { name: 'Gate scale' });
  await slider.focus();
  await slider.press('End');
  const open1 = await overview(page, key, 2);
  assert.ok(open1.gates.every((g) => g !== 0), `${open1.gates}`);
  assert.notEqual(open1.next, other.next);
  assert.equal(await page.locator('#lm-identical').getAttribute('data-identical'), 'false');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the overview shows a gate step in the frame that shows its caption: the fade and the bars already at their new values', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1');
  await overview(page, 'scene:1', 1);
  const shown = await page.evaluate(async () => {
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
    const frame = () => new Promise((done) => requestAnimationFrame(done));
    const read = () => ({
      opacity: Number(getComputedStyle(document.querySelector('#overview img.thumb')).opacity),
      bars: [...document.querySelectorAll('#overview .lens-bar')].map((e) => [Number(/scaleX\(([\d.]+)\)/.exec(e.style.transform)?.[1]), new DOMMatrix(getComputedStyle(e).transform).a]),
    });
    const before = read();
    await frame();
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, '0');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    do await frame(); while (!document.querySelector('#caption-text').dataset.answers.endsWith('|0'));
    return { before, after: read() };
  });
  // At 0 every gate is closed: the picture's path at its faintest (0.3), as it would be after any wait.
  assert.ok(shown.before.opacity > 0.35, `opacity at 1: ${shown.before.opacity}`);
  assert.equal(shown.after.opacity, 0.3);
  assert.equal(shown.after.bars.length, 4);
  for (const [set, drawn] of shown.after.bars) assert.ok(Math.abs(set - drawn) < 1e-3, `a lens bar set to ${set} is drawn at ${drawn}`);
  assert.notDeepEqual(shown.after.bars, shown.before.bars);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('keyboard alone opens every stage; the URL keeps it; Escape returns to the stage; a link reopens it', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1');
  await overview(page, 'scene:1', 1);
  const targets = { picture: '#given-picture', encoder: '#latent-overlays', resampler: '#resampler', 'block-0': '#gate', 'lm-2': '#logit-lens', 'next-word': '#logit-lens' };
  for (const [stage, target] of Object.entries(targets)) {
    await page.locator(`#overview [data-stage="${stage}"]`).focus();
    await page.keyboard.press(stage === 'encoder' ? 'Space' : 'Enter');
    await page.waitForFunction((stage) => new URLSearchParams(location.search).get('open') === stage, stage, { timeout: 10_000 });
    assert.equal(await page.locator(target).evaluate((e) => e.classList.contains('opened')), true, `${stage} opens ${target}`);
    assert.equal(await page.locator('.opened').count(), 1);
    await page.waitForFunction((t) => { const r = document.querySelector(t).getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }, target, { timeout: 5_000 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('open'), null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.stage), stage, 'focus is back on the stage');
  }
  // Tab reaches the stages in order.
  await page.locator('#overview [data-stage="picture"]').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.stage), 'encoder');
  await browser.close();

  const linked = await open(origin, false, '?scene=1&scale=1&open=block-1');
  await linked.page.waitForFunction(() => document.querySelector('#gate')?.classList.contains('opened'), null, { timeout: 30_000 });
  assert.equal(await linked.page.locator('#overview [data-stage="block-1"]').getAttribute('aria-pressed'), 'true');
  await linked.page.getByRole('link', { name: 'back to the overview' }).click();
  await linked.page.waitForFunction(() => !new URLSearchParams(location.search).has('open'), null, { timeout: 10_000 });
  assert.deepEqual([problems, linked.problems], [{ console: [], foreign: [] }, { console: [], foreign: [] }]);
  await linked.browser.close();
});

test('reduced motion: the overview has no transitions', async () => {
  const { browser, page } = await open(origin, false, '?scene=1&scale=1');
  await overview(page, 'scene:1', 1);
  const duration = () => page.locator('#overview .stage.block').first().evaluate((e) => getComputedStyle(e).transitionDuration);
  assert.notEqual(await duration(), '0s');
  await page.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal(await duration(), '0s');
  await browser.close();
});

for (const [width, height, what] of [
  [1280, 900, ['#overview', '#given-picture', '#caption-text']],
  [390, 844, ['#given-picture', '#caption-text']],
]) {
  test(`the first screen is the model: at ${width} x ${height} ${what.join(', ')} and Gate scale, without scrolling`, async () => {
    const { browser, page } = await open(origin, false, '?scene=1&scale=1', { width, height });
    await overview(page, 'scene:1', 1);
    const bottoms = await page.evaluate((selectors) =>
      Object.fromEntries(selectors.map((s) => [s, document.querySelector(s).getBoundingClientRect().bottom])),
    what);
    bottoms.slider = await page.getByRole('slider', { name: 'Gate scale' }).evaluate((e) => e.getBoundingClientRect().bottom);
    assert.equal(await page.evaluate(() => scrollY), 0);
    for (const [element, bottom] of Object.entries(bottoms)) assert.ok(bottom > 0 && bottom <= height, `${element} ends at ${bottom}`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, 'nothing wider than the screen');
    await browser.close();
  });
}

test('on a phone or a tablet the figures are drawn for the room they have, and again when it turns: their 12 px text is not shrunk below 10 px', async () => {
  const { browser, page, problems } = await open(origin, false, '?scene=1&scale=1', { width: 390, height: 844 });
  await overview(page, 'scene:1', 1);
  await page.waitForFunction(() => document.querySelector('#gate-outcome')?.textContent.length > 5, null, { timeout: 30_000 });
  // Canvas units per CSS pixel shown, per figure: a figure's text is drawn 12 units high.
  const shrink = () => page.evaluate(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const out = {};
    for (const id of ['caption-bars', 'logit-lens', 'gate-schedule-gates', 'gate-schedule-losses', 'shots-figure', 'train-losses']) {
      const c = document.getElementById(id);
      c.scrollIntoView({ block: 'center' });
      for (let i = 0; i < 3; i++) await frame();
      out[id] = [c.width / devicePixelRatio / c.getBoundingClientRect().width, c.width];
    }
    return out;
  });
  const readable = (figures, at) => {
    for (const [id, [ratio]] of Object.entries(figures)) assert.ok(ratio > 0.5 && ratio <= 1.2, `${at}: ${id} has ${ratio.toFixed(2)} canvas units per CSS pixel`);
  };
  const phone = await shrink();
  readable(phone, 'phone');
  // Turned: the trained panel's two columns narrow its figures; the gate schedule has room.
  await page.setViewportSize({ width: 844, height: 390 });
  const turned = await shrink();
  readable(turned, 'turned');
  assert.equal(turned['gate-schedule-gates'][1], 640);
  await page.setViewportSize({ width: 1024, height: 768 });
  readable(await shrink(), 'tablet');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await shrink(), phone);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});
