// The lesson's widgets in Chromium (CPU backend): the tour, the exercises, the
// calculator and lineage card against the core's answers, exports, offline reload,
// accessibility and layouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, serveDist } from '../serve-dist.mjs';
import { open as openPage, settled, text, until, value } from './session.mjs';

const fixture = JSON.parse(await readFile(new URL('./fixtures/lesson.json', import.meta.url), 'utf8'));
const shots = join(root, 'web', 'screenshots');

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server.close());

const open = (query, viewport) => openPage(origin, false, query, viewport);
const query = (page) => new URL(page.url()).searchParams;

test('the tour: a link to a step sets its state; it walks the overview stage by stage; arrows and buttons move through the steps', async () => {
  const { browser, page, problems } = await open('?tour=5');
  assert.match(await text(page, '#tour-title'), /^Step 5 of 6/);
  assert.match(await text(page, '#tour-question'), /^Predict first: .*\?$/);
  assert.equal(await page.locator('#tour-text').isVisible(), false, 'the answer waits for a prediction');
  await page.getByText('Reveal: what to look at').click();
  assert.equal(await page.locator('#tour-text').isVisible(), true);
  assert.equal(query(page).get('images'), '2,7');
  assert.equal(query(page).get('mode'), 'recent');
  assert.ok(await page.locator('#sequence.tour-focus').count(), 'the masking panel is highlighted');
  const rows = await page.locator('#mask-table tbody tr th').allTextContents();
  assert.match(rows[0], /no visual input/);
  assert.match(rows[1], /no visual input/);
  assert.doesNotMatch(rows[2], /no visual input/);

  await page.locator('body').press('ArrowRight');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tour') === '6');
  assert.equal(query(page).get('preset'), 'few-shot');
  assert.ok(await page.locator('#few-shot-live.tour-focus').count());
  assert.equal(await page.locator('#tour-text').isVisible(), false, 'a new step starts with its question');
  // The step shows the curve measured in the browser, not a promise of one.
  await page.waitForFunction(() => document.querySelectorAll('#shots-accuracy tbody tr').length === 9, null, { timeout: 180_000 });
  assert.equal(await page.locator('#sequence.tour-focus').count(), 0);
  await page.locator('body').press('ArrowRight');
  assert.equal(query(page).get('tour'), '6', 'the last step stays');

  // The first steps follow the overview: each opens its stage and marks its detail.
  await page.getByRole('button', { name: 'Step 1' }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('open') === 'encoder');
  assert.equal(await page.locator('#overview [data-stage="encoder"]').getAttribute('aria-pressed'), 'true');
  assert.ok(await page.locator('#latent-overlays.opened').count(), 'the encoder stage opens the patch grid');
  await page.getByRole('button', { name: 'Step 3' }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tour') === '3');
  assert.equal(query(page).get('open'), 'block-0');
  await settled(page);
  assert.equal(await value(page, '#identity-diff'), 0);
  const check = page.locator('#identity-check');
  assert.equal(await check.getAttribute('data-identical'), await check.getAttribute('data-values'));
  assert.match(await check.textContent(), /bit for bit in all \d+ values/);
  assert.equal(query(page).get('scale'), '0');
  await page.waitForFunction(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').endsWith('|0'), null, { timeout: 60_000 });
  assert.equal((await text(page, '#lm-identical')).trim(), 'identical');
  assert.ok(await page.locator('#trained.tour-focus').count(), 'the trained model is highlighted');

  assert.equal(Number(await page.locator('#overview [data-stage="block-0"]').getAttribute('data-gate')), 0, 'the closed gate on the overview');

  await page.getByRole('button', { name: 'Next →' }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('open') === 'next-word');
  await page.getByRole('button', { name: '← Previous' }).click();
  await page.getByRole('button', { name: '← Previous' }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('open') === 'resampler');
  await page.waitForFunction(() => /^900 patches → 64 tokens$/.test(document.querySelector('#resampler-shape').textContent), null, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Close the lesson' }).click();
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('tour'));
  assert.equal(await page.locator('.tour-focus').count(), 0);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('identity check: an open gate changes values, closing both gates restores every bit', async () => {
  const { browser, page } = await open('?alpha=1.5&ff=0.5');
  await settled(page);
  const check = page.locator('#identity-check');
  assert.notEqual(await check.getAttribute('data-identical'), await check.getAttribute('data-values'));
  await page.getByRole('button', { name: /Close both gates/ }).click();
  await settled(page);
  // The address bar is written once the controls rest (150 ms), not at once.
  await page.waitForFunction(() => new URL(location.href).searchParams.get('alpha') === '0');
  assert.equal(await check.getAttribute('data-identical'), await check.getAttribute('data-values'));
  await browser.close();
});

test('the calculator shows the core counts for every preset and refuses bad input', async () => {
  const { browser, page, problems } = await open();
  const preset = page.getByLabel('Model preset');
  for (const p of fixture.params) {
    await preset.selectOption({ label: p.name });
    assert.equal(await value(page, '#params-trained'), p.trained, p.name);
    assert.equal(await value(page, '#params-frozen'), p.frozen, p.name);
    assert.equal(await value(page, '#params-fraction'), p.fraction, p.name);
  }
  const trained = await value(page, '#params-trained');
  await page.getByLabel('LM layers').fill('0');
  await page.getByLabel('LM layers').press('Enter');
  await page.getByLabel('LM layers').blur();
  assert.match(await text(page, '#calculator-error'), /LM layers must be a whole number from 1/);
  assert.equal(await value(page, '#params-trained'), trained, 'state kept');
  // Halving the interval doubles the blocks and so grows the trained count.
  await preset.selectOption({ label: 'OpenFlamingo-9B' });
  const before = await value(page, '#params-trained');
  await page.getByLabel('Cross-attention every M layers').fill('2');
  await page.getByLabel('Cross-attention every M layers').blur();
  assert.ok((await value(page, '#params-trained')) > before);
  assert.equal(await page.locator('#calculator-error').count(), 0);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the lineage card for every preset, and clear messages for bad configs', async () => {
  const { browser, page, problems } = await open();
  const pick = page.getByLabel('Lineage preset');
  for (const l of fixture.lineage) {
    await pick.selectOption({ label: l.name });
    const shown = await page.locator('#lineage-card li').evaluateAll((lis) => lis.map((li) => li.dataset.presence));
    assert.deepEqual(shown, l.presence, l.name);
    assert.equal(await page.locator('#lineage-card').getAttribute('data-elements'), String(l.elements));
  }
  const config = page.getByLabel('Model config');
  await config.fill('{ "model_type": "idefics", "cross_layer_interval": 4');
  assert.match(await text(page, '#lineage-error'), /not valid JSON/);
  await config.fill('{ "model_type": "gpt2", "n_layer": 12 }');
  assert.match(await text(page, '#lineage-error'), /"gpt2" is not one it knows/);
  await config.fill('{ "model_type": "idefics", "cross_layer_interval": 2, "freeze_text_layers": false }');
  assert.equal(await page.locator('#lineage-error').count(), 0);
  assert.equal(await page.locator('#lineage-card li[data-element="Frozen language model"]').getAttribute('data-presence'), 'no');
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('exercises: both rules side by side, the few-shot builder, a padded batch', async () => {
  const { browser, page } = await open('?len=12&images=0,6&mode=recent');
  const ticks = (sel) => page.locator(`${sel} td[data-allowed=true]`).count();
  assert.equal(await ticks('#rules-recent'), 12, 'one image per token');
  assert.equal(await ticks('#rules-all'), 6 + 12, 'tokens after image 2 see both');

  const shots = page.getByRole('slider', { name: 'Examples' });
  await shots.fill('0');
  assert.equal(await text(page, '#few-shot-prompt'), '<image> colour:');
  assert.match(await text(page, '#few-shot-expectation'), /Zero-shot/);
  await shots.fill('8');
  assert.equal((await text(page, '#few-shot-prompt')).match(/<image>/g).length, 9);
  assert.equal(await page.locator('#few-shot-mask thead th').count(), 1 + 9);

  assert.equal(await text(page, '#batch-shape'), '3 rows × 12 tokens, 3 image slots each');
  // Blank slots are columns no token may select.
  for (let r = 0; r < 3; r++) {
    const grid = page.locator(`.batch-row[data-row="${r}"] table`);
    const heads = await grid.locator('thead th').allTextContents();
    for (let j = 1; j < heads.length; j++) {
      if (/blank/.test(heads[j])) {
        const allowed = await grid.locator(`tbody tr td:nth-of-type(${j})`).evaluateAll((tds) => tds.filter((td) => td.dataset.allowed === 'true').length);
        assert.equal(allowed, 0, `row ${r} ${heads[j]}`);
      }
    }
  }
  assert.equal(await page.locator('.batch-row[data-row="0"] li.pad').count(), 8, 'row 1 (one image) left-padded by 8');
  await page.getByLabel('Row 2 images').selectOption('0');
  assert.equal(await text(page, '#batch-shape'), '3 rows × 8 tokens, 2 image slots each');
  await browser.close();
});

test('video: T frames become T·K tokens; without temporal embeddings identical frames are indistinguishable', async () => {
  const { browser, page } = await open();
  // A wait that fails says what the panel showed: which readout never came.
  const shows = async (predicate) => {
    try {
      await page.waitForFunction(predicate);
    } catch (e) {
      e.message += `; the panel: ${await page.evaluate(() => `embeddings ${document.querySelector('#video input[type=checkbox]').checked}, ${document.querySelector('#video-tokens').textContent}, ${document.querySelector('#video-frame-diff').textContent}`)}`;
      throw e;
    }
  };
  await shows(() => /visual tokens/.test(document.querySelector('#video-tokens').textContent));
  assert.equal(await text(page, '#video-tokens'), '4 frames → 32 visual tokens');
  assert.ok((await value(page, '#video-frame-diff')) > 0, 'embeddings tell frames apart');
  await page.getByLabel('Temporal embeddings').uncheck();
  await shows(() => document.querySelector('#video-frame-diff').dataset.value === '0');
  await page.getByLabel('flattened together: K tokens').check();
  await shows(() => document.querySelector('#video-tokens').textContent === '4 frames → 8 visual tokens');
  await shows(() => document.querySelector('#video-frame-diff').dataset.value === '0');
  await page.getByLabel('Temporal embeddings').check();
  await shows(() => Number(document.querySelector('#video-frame-diff').dataset.value) > 0);
  await browser.close();
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function download(page, figure, name) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(figure).getByRole('button', { name }).click()]);
  return readFile(await file.path());
}

// Chromium stops a page's downloads after about ten, so the figures are split over two pages.
for (const [panel, figures] of [
  ['gate and video', ['#gate .tanh-figure', '#gate figure.heatmap', '#video figure.heatmap']],
  ['resampler', ['#resampler figure.heatmap', '#resampler .sample-figure']],
  ['trained model', ['#trained figure:has(#caption-bars)', '#trained figure:has(#logit-lens)', '#trained figure:has(#trained-xattn-1)']],
  ['few-shot and gate schedule', ['#few-shot-live figure:has(#shots-figure)', '#gate-schedule figure:has(#gate-schedule-gates)', '#gate-schedule figure:has(#gate-schedule-losses)']],
]) {
  test(`every figure exports a valid PNG and SVG: ${panel}`, async () => {
    const { browser, page, problems } = await open('?k=8&patch=28');
    await settled(page);
    await page.waitForFunction(() => /visual tokens/.test(document.querySelector('#video-tokens').textContent));
    await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers && /At step 0/.test(document.querySelector('#gate-outcome').textContent), null, { timeout: 60_000 });
    const svgs = {};
    for (const figure of figures) {
      const png = await download(page, figure, 'Download PNG');
      assert.deepEqual(png.subarray(0, 8), PNG, figure);
      assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 100, `${figure}: IHDR size`);
      const svg = (await download(page, figure, 'Download SVG')).toString();
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, figure);
      assert.match(svg, /<\/svg>\s*$/);
      svgs[figure] = svg;
    }
    if (panel === 'resampler') {
      // One rectangle per cell plus background and frame: 8 latents × 64 patches, and the 8 × 8 patch grid.
      assert.equal(svgs['#resampler figure.heatmap'].match(/<rect /g).length, 8 * 64 + 2);
      assert.equal(svgs['#resampler .sample-figure'].match(/<rect /g).length, 8 * 8 + 2);
    }
    if (panel === 'trained model') {
      // Tokens × 8 visual tokens, plus background and frame.
      const cells = svgs['#trained figure:has(#trained-xattn-1)'].match(/<rect /g).length - 2;
      assert.ok(cells > 0 && cells % 8 === 0, `${cells} cells`);
      assert.match(svgs['#trained figure:has(#logit-lens)'], /gated block/);
    }
    if (panel === 'few-shot and gate schedule') {
      assert.match(svgs['#gate-schedule figure:has(#gate-schedule-losses)'], /no tanh gate/);
      // The ablations' length is the record's, not a typed number.
      const record = await page.evaluate(async () => (await fetch('assets/mini-flamingo-training.json')).json());
      const said = (await page.locator('#gate-schedule').textContent()).match(/Two ablations, (\d+) steps each/);
      assert.equal(Number(said?.[1]), record.runs.ungated.record.steps);
    }
    assert.deepEqual(problems, { console: [], foreign: [] });
    await browser.close();
  });
}

test('offline: after one visit the page reloads, computes and captions with no network', async () => {
  // Its own server, stopped before the reload: nothing can answer but the cache.
  const own = await serveDist();
  // When the service worker is registered: after the page has drawn its first frame, so
  // its download of every file does not compete with the page's start.
  const watch = () => {
    document.addEventListener('flamingo-drawn', () => { window.__drawnAt = performance.now(); });
    const register = ServiceWorkerContainer.prototype.register;
    ServiceWorkerContainer.prototype.register = function (...args) {
      window.__registeredAt = performance.now();
      return register.apply(this, args);
    };
  };
  const { browser, page } = await openPage(own.origin, false, '', undefined, watch);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const { drawnAt, registeredAt } = await page.evaluate(() => ({ drawnAt: window.__drawnAt, registeredAt: window.__registeredAt }));
  assert.ok(drawnAt > 0 && registeredAt >= drawnAt, `drawn at ${drawnAt} ms, service worker registered at ${registeredAt} ms`);
  await until(() => page.evaluate(async () => {
    const keys = await caches.keys();
    if (!keys.length) return false;
    const cached = await (await caches.open(keys[0])).keys();
    return cached.some((r) => r.url.endsWith('.wasm'));
  }), 'the page module is cached');
  own.close();
  await page.context().setOffline(true);
  await page.reload();
  await page.waitForFunction(() => /\d+ patches → \d+ tokens/.test(document.querySelector('#resampler-shape')?.textContent ?? ''), null, { timeout: 120_000 });
  assert.ok(Number(await page.locator('#resampler-heatmap').getAttribute('data-paints')) >= 1);
  // The trained weights came from the cache too.
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 60_000 });
  await page.context().setOffline(false);
  await browser.close();
});

test('axe-core finds no serious or critical violation, normal and projector mode', async () => {
  const axe = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  // Step 3 closes every gate: the overview's picture row is faded, its text must not be.
  for (const q of ['?tour=3', '?view=projector']) {
    const { browser, page } = await open(q);
    await page.waitForFunction(() => document.querySelector('#overview')?.dataset.scale, null, { timeout: 60_000 });
    // Evaluated by the test, not added as a script: the page's CSP refuses inline scripts.
    await page.evaluate(await readFile(axe, 'utf8'));
    const { violations, passes } = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return {
        passes: r.passes.length,
        violations: r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
      };
    });
    assert.ok(passes > 10, `axe checked the page (${passes} rules passed)`);
    assert.deepEqual(violations, [], q);
    await browser.close();
  }
});

test('keyboard: a heatmap row by arrow keys, projector mode by a button', async () => {
  const { browser, page } = await open();
  await page.locator('#resampler-heatmap').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /latent 1 looks/.test(document.querySelector('#resampler').textContent));
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /latent 2 looks/.test(document.querySelector('#resampler').textContent));
  const projector = page.getByRole('button', { name: 'Projector mode' });
  await projector.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.documentElement.classList.contains('projector'));
  await page.waitForFunction(() => new URLSearchParams(location.search).get('view') === 'projector');
  assert.equal(await projector.getAttribute('aria-pressed'), 'true');
  await browser.close();
});

test('layouts from 390 px to 4K: no sideways scrolling; screenshots', async () => {
  for (const [width, q] of [[390, ''], [1280, '?tour=1'], [3840, ''], [1280, '?view=projector']]) {
    const { browser, page } = await open(q, { width, height: 1000 });
    await settled(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width} px ${q}: ${overflow} px wider than the window`);
    // A readout squeezed to a sliver wraps a number one character per line.
    const narrowest = await page.locator('.readouts dd').evaluateAll((dds) => Math.min(...dds.map((d) => d.getBoundingClientRect().width)));
    assert.ok(narrowest >= 60, `${width} px ${q}: a readout is ${narrowest} px wide`);
    await page.screenshot({ path: join(shots, `lesson-${width}${q.replace(/\W/g, '-')}.png`), fullPage: true });
    await browser.close();
  }
});
