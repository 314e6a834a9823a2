// The built page (dist/) in the engines other than Chromium: Firefox ESR (puppeteer-core,
// WebDriver BiDi) and WebKitGTK (WebKitWebDriver with MiniBrowser, selenium-webdriver).
// Neither has WebGPU, so the page computes on the CPU. The same checks as the Chromium
// tests (page.test.mjs, trained.test.mjs), with the same selectors and waits; one
// browser per engine, a fresh page load per test. Errors: Firefox reports every console
// error and uncaught exception from the start (BiDi); WebKitWebDriver has neither BiDi
// nor a console, so in WebKit they are collected from the page's load on, and a failure
// before that shows as the panic banner or the boot message, which every test checks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dist, serveDist } from '../serve-dist.mjs';
import { launchChromium, launchFirefox, launchWebKit, sessionEnded } from './engines.mjs';

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server?.close());

// The trained model's vocabulary (crates/mini/src/vocab.rs), less <pad>, <image> and
// <eoc>, which a caption never shows.
const VOCABULARY = new Set([':', 'a', 'red', 'green', 'blue', 'yellow', 'purple', 'orange', 'circle', 'square', 'triangle', 'cross', 'colour', 'shape', 'an', 'and', 'nothing', 'shows']);

const ALPHA = { label: 'Gate alpha' };
const IMAGE = (j) => ({ label: `Image ${j} position` });

/** Opens the page at `query` and waits for the first frame and the whole page, as session.mjs does. */
async function load(s, query = '') {
  await s.open(`${origin}/${query}`);
  await s.collectErrors();
  await s.waitFor(() => /\d+ patches → \d+ tokens/.test(document.querySelector('#resampler-shape')?.textContent ?? '') && document.getElementById('blip2') !== null, [], 120_000, 'the first frame (#resampler-shape) and the last panel (#blip2)');
}

/** Waits until the readouts come from the state now in the URL (session.mjs's `settled`). */
const settled = (s) => s.waitFor(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), [], 60_000, 'the readouts of the URL state');

const param = (s, key, value) =>
  s.waitFor((key, value) => new URLSearchParams(location.search).get(key) === value, [key, value], 30_000, `${key}=${value} in the URL`);

const text = (s, sel) => s.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, sel);

/** What the page shows when something went wrong: errors, the panic banner, the boot message. */
async function problems(s) {
  const page = await s.evaluate(() => {
    const boot = document.querySelector('#boot-message');
    return { panic: document.querySelector('#panic-banner')?.textContent ?? null, bootMessage: boot && !boot.hidden ? boot.textContent : null };
  });
  return { errors: await s.errors(), ...page };
}
const NO_PROBLEMS = { errors: [], panic: null, bootMessage: null };

/** A summary of a canvas's pixels: size, a hash of the bytes, how many are not transparent. */
const pixels = (s, sel) =>
  s.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 2166136261;
    let opaque = 0;
    for (let i = 0; i < d.length; i++) {
      hash = Math.imul(hash ^ d[i], 16777619) >>> 0;
      if (i % 4 === 3 && d[i] > 0) opaque++;
    }
    return { cols: c.width, rows: c.height, hash, opaque };
  }, sel);

/** Independent statement of the rule: image j's marker at positions[j] (page.test.mjs). */
function expectedMask(len, positions, mode) {
  return Array.from({ length: len }, (_, i) => positions.map((p, j) => p <= i && (mode === 'all' || j + 1 === positions.length || positions[j + 1] > i)));
}

const maskTable = (s) =>
  s.evaluate(() => Array.from(document.querySelectorAll('#mask-table tbody tr'), (r) => Array.from(r.querySelectorAll('td'), (td) => td.dataset.allowed === 'true')));

/** The caption for the picture `key` at `scale` (trained.test.mjs's captionAt). */
async function captionAt(s, scale, key) {
  await s.waitFor(
    (scale, key) => {
      const [k, sc] = (document.querySelector('#caption-text')?.dataset.answers ?? '').split('|');
      return sc === String(scale) && k === key;
    },
    [scale, key],
    120_000,
    `the caption of ${key} at scale ${scale}`,
  );
  return s.evaluate(() => ({
    text: document.querySelector('#caption-text').textContent.trim(),
    identical: document.querySelector('#lm-identical').dataset.identical,
    readout: document.querySelector('#lm-identical').textContent.trim(),
    picture: document.querySelector('.picture-name').textContent.trim(),
    gates: document.querySelector('#trained-gates').textContent,
  }));
}

/** The module boot.js validates: the page needs it to validate, SIMD and all. */
async function simdProbe() {
  const boot = await readFile(join(dist, 'boot.js'), 'utf8');
  const bytes = boot.match(/var simd = new Uint8Array\(\[([\d,\s]+)\]\)/);
  assert.ok(bytes, 'boot.js holds the SIMD probe module');
  return bytes[1].split(',').map(Number);
}
const validates = (s, bytes) => s.evaluate((bytes) => WebAssembly.validate(new Uint8Array(bytes)), bytes);

const TIMEOUT = { timeout: 240_000 };

for (const [name, launch] of [['Firefox', launchFirefox], ['WebKit', launchWebKit]]) {
  describe(name, () => {
    let s;
    before(async () => {
      s = await launch();
      console.log(`engine: ${s.engine}: ${s.version}`);
    }, { timeout: 120_000 });
    after(() => s?.close());

    // WebKitGTK's web process has crashed here, rarely, while the page loaded: a
    // segfault inside JavaScriptCore (libjavascriptcoregtk), an engine fault no page can
    // cause by what it is allowed to do. WebKit then ends the session, and every later
    // test would fail for want of a browser. So a test whose browser ended the session runs
    // once more in a new one and says so in the report; any other failure, or a second
    // ending, fails the test (RELIABILITY.md).
    const engineTest = (title, body) =>
      test(title, TIMEOUT, async (t) => {
        try {
          await body();
        } catch (e) {
          if (!sessionEnded(e)) throw e;
          t.diagnostic(`${e.message.split('\n')[0]}; the test runs once more in a new browser`);
          await s.close();
          s = await launch();
          await body();
        }
      });

    engineTest('loads without errors; CPU, and the badge says WebGPU is unavailable; no request leaves the origin', async () => {
      await load(s);
      // Preconditions of this engine: wasm SIMD, and no WebGPU.
      assert.equal(await validates(s, await simdProbe()), true, 'wasm SIMD validates');
      assert.equal(await s.evaluate(() => 'gpu' in navigator), false, 'navigator.gpu is absent');
      // The boot message stays hidden: the browser can run the page.
      assert.deepEqual(await s.evaluate(() => {
        const b = document.querySelector('#boot-message');
        return b && { hidden: b.hidden, role: b.getAttribute('role'), text: b.textContent };
      }), { hidden: true, role: 'alert', text: '' });
      await s.waitFor(() => !/loading/.test(document.querySelector('#backend').textContent), [], 60_000, 'the backend badge');
      assert.match(await text(s, '#backend'), /^CPU \(WebGPU unavailable in this browser\)$/);
      // The trained model's weights are fetched last: once captioned, the page has asked for everything.
      await s.waitFor(() => (document.querySelector('#caption-text')?.dataset.answers ?? '') !== '', [], 120_000, 'the first caption');
      const requested = await s.requested();
      assert.equal(requested[0], `${origin}/`, 'the document itself');
      assert.ok(requested.some((u) => /\/app-[0-9a-f]+_bg\.wasm$/.test(u)), `the page module was fetched: ${requested.join(' ')}`);
      assert.ok(requested.some((u) => /\/assets\/mini-flamingo\.safetensors$/.test(u)), `the trained weights were fetched: ${requested.join(' ')}`);
      assert.deepEqual(requested.filter((u) => /webgpu/.test(u)), [], 'the WebGPU module is never fetched');
      assert.deepEqual(requested.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin), [], 'no request leaves the origin');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest('the alpha slider moves tanh(alpha), the readouts and the tanh figure; closed gates give exactly 0', async () => {
      await load(s, '?alpha=0&ff=0&backend=cpu');
      await settled(s);
      assert.equal(await text(s, '#identity-diff'), '0');
      assert.equal(await text(s, '#tanh-alpha'), '0.0000');
      const closed = await s.evaluate(() => ({ ...document.querySelector('#identity-check').dataset }));
      assert.equal(closed.identical, closed.values, 'every value bit for bit equal with the gates closed');
      const figure = await pixels(s, '#gate canvas.tanh');
      const heatmap = await pixels(s, '#xattn-heatmap');
      assert.ok(heatmap.opaque > 0, 'the cross-attention heatmap is drawn');
      for (const value of [0.5, -1.25]) {
        assert.equal(await s.setRange(ALPHA, value), String(value));
        await param(s, 'alpha', String(value));
        await settled(s);
        assert.equal(await text(s, '#tanh-alpha'), Math.tanh(value).toFixed(4));
        assert.notEqual(await text(s, '#identity-diff'), '0');
        assert.ok(Number(await s.evaluate(() => document.querySelector('#visual-share').dataset.value)) > 0);
        const open = await s.evaluate(() => ({ ...document.querySelector('#identity-check').dataset }));
        assert.ok(Number(open.identical) < Number(open.values), `open gates change the hidden state: ${JSON.stringify(open)}`);
        const moved = await pixels(s, '#gate canvas.tanh');
        assert.notEqual(moved.hash, figure.hash, 'the tanh figure redrew its marker');
        // The attention weights do not depend on alpha: the heatmap keeps its pixels.
        assert.deepEqual(await pixels(s, '#xattn-heatmap'), heatmap);
      }
      await s.setRange(ALPHA, 0);
      await param(s, 'alpha', '0');
      await settled(s);
      assert.equal(await text(s, '#identity-diff'), '0', 'closed again: exactly 0');
      assert.deepEqual(await pixels(s, '#gate canvas.tanh'), figure, 'the figure as at alpha = 0');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest('moving an image redraws #mask-table exactly as the rule says', async () => {
      await load(s, '?len=10&images=1,5&mode=recent&backend=cpu');
      assert.deepEqual(await maskTable(s), expectedMask(10, [1, 5], 'recent'));
      await s.setRange(IMAGE(2), 3);
      await param(s, 'images', '1,3');
      assert.deepEqual(await maskTable(s), expectedMask(10, [1, 3], 'recent'));
      await s.click({ within: '#sequence', label: 'all preceding images' });
      await param(s, 'mode', 'all');
      assert.deepEqual(await maskTable(s), expectedMask(10, [1, 3], 'all'));
      assert.equal(await s.evaluate(() => document.querySelector('#mask-table tbody tr').querySelectorAll('.none').length), 1, 'text before any image: no visual input');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest('the trained model captions scene 1 with its colour and shape; at gate scale 0 it is the language model', async () => {
      await load(s, '?scene=1&scale=1');
      const open = await captionAt(s, 1, 'scene:1');
      const words = open.text.split(/\s+/);
      assert.ok(words.length >= 2 && words.every((w) => VOCABULARY.has(w)), `caption in the model's words: ${open.text}`);
      // The page names the drawn scene ("scene 1: a <colour> <shape>"); the model, as in Chromium, says the same.
      const [, colour, shape] = open.picture.match(/^scene 1: an? (\w+) (\w+)$/) ?? [];
      assert.ok(colour && shape, open.picture);
      assert.ok(words.includes(colour) && words.includes(shape), `"${open.text}" names ${colour} ${shape}`);
      assert.equal(open.identical, 'false');
      assert.match(open.readout, /^differs: max \|Δlogit\| = /);
      assert.ok((await s.evaluate(() => document.querySelectorAll('#caption-words .word').length)) >= 2, 'bars and lens drawn per word');
      await s.setRange({ label: 'Gate scale' }, 0);
      const closed = await captionAt(s, 0, 'scene:1');
      assert.equal(closed.readout, 'identical');
      assert.equal(closed.identical, 'true');
      assert.match(closed.gates, /block 1: tanh\(attention gate\) = 0\.0000/);
      await param(s, 'scale', '0');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest('a blue circle drawn on the pad with the mouse is captioned as one', async () => {
      await load(s, '?scene=1&scale=1');
      await captionAt(s, 1, 'scene:1');
      await s.click({ within: '#trained', label: 'blue' });
      const circle = Array.from({ length: 25 }, (_, i) => [0.5 + 0.3 * Math.cos((i / 24) * 2 * Math.PI), 0.5 + 0.3 * Math.sin((i / 24) * 2 * Math.PI)]);
      await s.drag('#draw-pad', circle);
      await s.waitFor(() => (document.querySelector('#caption-text')?.dataset.answers ?? '').startsWith('draw:'), [], 120_000, 'the drawing\'s caption');
      const drawn = await s.evaluate(() => ({ text: document.querySelector('#caption-text').textContent.trim(), strokes: document.querySelector('#draw-pad').dataset.strokes }));
      assert.equal(drawn.strokes, '1');
      assert.match(drawn.text, /\bblue\b/);
      assert.match(drawn.text, /\bcircle\b/);
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest('Train runs stage 3 in the trainer module\'s worker: the steps advance, the gates leave 0, Pause stops it', async () => {
      await load(s, '?scene=1&scale=1');
      await captionAt(s, 1, 'scene:1');
      await s.click('#train-live .train-controls button:nth-child(1)');
      await s.waitFor(() => Number(document.querySelector('#train-progress').dataset.step) >= 20, [], 120_000, 'twenty steps');
      const progress = await s.evaluate(() => ({ ...document.querySelector('#train-progress').dataset }));
      const gates = progress.gates.split(',').map(Number);
      assert.ok(gates.length === 4 && gates.every((g) => g !== 0 && Math.abs(g) <= 1), `gates ${progress.gates}`);
      assert.ok(Number(progress.lossPicture) > 0 && Number(progress.lossText) > 0, JSON.stringify(progress));
      await s.click('#train-live .train-controls button:nth-child(2)');
      const step = () => s.evaluate(() => Number(document.querySelector('#train-progress').dataset.step));
      await new Promise((r) => setTimeout(r, 1_500));
      const paused = await step();
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await step(), paused, 'Pause stops the step counter');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });

    engineTest("a teacher's link restores its state", async () => {
      const query = 'alpha=-1.5&k=5&len=20&images=0,7,13&mode=all&tour=0';
      await load(s, `?${query}`);
      await settled(s);
      const given = new URLSearchParams(query);
      const now = new URLSearchParams(await s.evaluate(() => location.search));
      // The address bar keeps the link's state (tour=0, the default, may be left out).
      for (const [key, value] of given) assert.equal(now.get(key) ?? (key === 'tour' ? '0' : null), value, `${key} in the address bar`);
      assert.match(await text(s, '#resampler-shape'), /^\d+ patches → 5 tokens$/);
      assert.equal(await s.prop(ALPHA, 'value'), '-1.5');
      assert.equal(await text(s, '#tanh-alpha'), Math.tanh(-1.5).toFixed(4));
      assert.equal(await s.prop({ within: '#resampler', label: 'Latents K' }, 'value'), '5');
      assert.equal(await s.prop({ label: 'Sequence length' }, 'value'), '20');
      assert.deepEqual([await s.prop(IMAGE(1), 'value'), await s.prop(IMAGE(2), 'value'), await s.prop(IMAGE(3), 'value')], ['0', '7', '13']);
      assert.equal(await s.prop({ within: '#sequence', label: 'all preceding images' }, 'checked'), true);
      assert.equal(await s.prop({ within: '#sequence', label: 'most recent image' }, 'checked'), false);
      assert.deepEqual(await maskTable(s), expectedMask(20, [0, 7, 13], 'all'));
      assert.equal(await s.evaluate(() => document.querySelector('#tour').classList.contains('open')), false, 'no lesson open at tour=0');
      // And the page goes on from there: the backend picked from its menu joins the link.
      assert.equal(await s.select({ label: 'Backend' }, 'cpu'), 'cpu');
      await param(s, 'backend', 'cpu');
      await settled(s);
      assert.equal(new URLSearchParams(await s.evaluate(() => location.search)).get('alpha'), '-1.5');
      assert.deepEqual(await problems(s), NO_PROBLEMS);
    });
  });
}

// Browsers that cannot run the page's module: boot.js says why in words (web/boot.js).
// Firefox 153 ESR has no switch for wasm SIMD alone (`javascript.options.wasm_simd` is
// gone), so the browser without SIMD is Chromium whose V8 treats the CPU as lacking
// SSE4.1, as on a CPU that has none: V8 then has no wasm SIMD at all.
describe('Without wasm SIMD, or without WebAssembly', () => {
  const bootMessage = (s) =>
    s.waitFor(() => {
      const b = document.querySelector('#boot-message');
      if (!b || b.hidden) return null;
      const r = b.getBoundingClientRect();
      return { text: b.textContent, role: b.getAttribute('role'), display: getComputedStyle(b).display, width: r.width, height: r.height };
    }, [], 30_000, 'the boot message');

  /** Visible, an alert, and after the page's module has failed, still the first message and no panic banner. */
  async function assertTold(s, message, words) {
    assert.equal(message.role, 'alert');
    assert.notEqual(message.display, 'none');
    assert.ok(message.width > 0 && message.height > 0, `visible: ${JSON.stringify(message)}`);
    assert.match(message.text, words);
    await new Promise((ok) => setTimeout(ok, 2000));
    assert.deepEqual(await s.evaluate(() => ({ panic: document.querySelector('#panic-banner')?.textContent ?? null, message: document.querySelector('#boot-message').textContent })), { panic: null, message: message.text });
  }

  test('a browser without wasm SIMD (Chromium, V8 without SSE4.1) gets a clear message, not a blank page', TIMEOUT, async () => {
    const s = await launchChromium({ args: ['--js-flags=--no-enable-sse4-1'] });
    try {
      console.log(`engine: ${s.engine}: ${s.version}`);
      await s.open(`${origin}/`);
      assert.equal(await s.evaluate(() => typeof WebAssembly), 'object', 'WebAssembly itself is there');
      assert.equal(await validates(s, await simdProbe()), false, 'no wasm SIMD in this browser');
      await assertTold(s, await bootMessage(s), /SIMD/);
      // The page's module really failed for want of SIMD, as it would in such a browser.
      const errors = await s.errors();
      assert.ok(errors.some((e) => /SIMD/.test(e)), `the module did not compile: ${errors.join(' | ')}`);
      assert.equal(await s.evaluate(() => document.querySelector('main')), null, 'no half-drawn page');
    } finally {
      await s.close();
    }
  });

  test('Firefox with WebAssembly off gets a clear message, not a blank page', TIMEOUT, async () => {
    const s = await launchFirefox({ prefs: { 'javascript.options.wasm': false } });
    try {
      await s.open(`${origin}/`);
      assert.equal(await s.evaluate(() => typeof WebAssembly), 'undefined', 'the pref turned WebAssembly off');
      await assertTold(s, await bootMessage(s), /cannot run WebAssembly/);
    } finally {
      await s.close();
    }
  });
});
