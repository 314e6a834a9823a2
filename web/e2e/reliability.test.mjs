// A classroom's hazards, in Chromium: the Content-Security-Policy and subresource
// integrity, a panic, a lost WebGPU device, restless sliders, a long session's memory,
// hostile and unusual pictures, and a new version replacing an old one offline.
// RELIABILITY.md lists each case with its test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, dist, policyOf, root, serveDist } from '../serve-dist.mjs';
import { imagePixels, open, settled, text, until } from './session.mjs';
import { writePrecache } from '../build/precache.mjs';

let server;
before(async () => {
  server = await serveDist();
});
after(() => server.close());

const fixture = (name) => readFile(join(root, 'web/e2e/fixtures/pictures', name));

/** Chromium on `url` without waiting for the page to draw; closed by `use`'s end. */
async function bare(url, { webgpu = false, init } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(webgpu) });
  const page = await browser.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(url);
  return { browser, page };
}

/** Runs `body` with a browser and always closes it: a test that throws must not leave
 * Chromium running, or the test file never exits. */
async function using(opened, body) {
  const session = await opened;
  try {
    return await body(session);
  } finally {
    await session.browser.close();
  }
}

/** Collects CSP violations from the first script on. */
const watchViolations = () => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
};

/** Sets a range input (by its label or aria-label)
 * through `input` events spread over `ms`, as a drag does: at each frame, as many as
 * are due by then (all at once when `ms` is 0); then `change`, as on release. */
async function drag(page, target, values, ms = 0) {
  return page.evaluate(
    async ([target, values, ms]) => {
      const ranges = [...document.querySelectorAll('input[type=range]')];
      const named = (i, name) => i.getAttribute('aria-label') === name || [...(i.labels ?? [])].some((l) => l.textContent.trim() === name);
      const input = ranges.find((i) => named(i, target));
      if (!input) throw new Error(`no slider ${JSON.stringify(target)}`);
      const start = performance.now();
      let sent = 0;
      while (sent < values.length) {
        const due = ms ? Math.ceil(((performance.now() - start) / ms) * values.length) : values.length;
        const until = Math.min(values.length, Math.max(due, sent + 1));
        for (; sent < until; sent++) {
          input.value = String(values[sent]);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }
        await new Promise((ok) => requestAnimationFrame(ok));
      }
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return { ms: performance.now() - start, last: input.value };
    },
    [target, values, ms],
  );
}

/** `n` values on a slider's grid, ending on `last`. */
function walk(n, [lo, hi, step], last) {
  const steps = Math.round((hi - lo) / step);
  const out = Array.from({ length: n - 1 }, (_, i) => +(lo + (((i * 7919) % (steps + 1)) * step)).toFixed(4));
  return [...out, last];
}

test('CSP: the header equals the meta tag, allows no inline code or eval, and the page runs with no violation', async () => {
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const meta = policyOf(html);
  const response = await fetch(`${server.origin}/`);
  assert.equal(response.headers.get('content-security-policy'), meta);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.doesNotMatch(meta, /'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'/);
  assert.match(meta, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.match(meta, /default-src 'none'/);
  const css = html.match(/href="\/(style-[0-9a-f]{16}\.css)"/)[1];
  assert.equal((await fetch(`${server.origin}/${css}`)).headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await fetch(`${server.origin}/sw.js`)).headers.get('cache-control'), 'no-cache');

  await using(open(server.origin, false, '?scale=1', undefined, watchViolations), async ({ page, problems }) => {
    await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 60_000 });
    await drag(page, 'Gate alpha', [0.5, -1, 2]);
    await drag(page, 'Latents K', [4, 16, 9]);
    await drag(page, 'Gate scale', [0, 0.5, 1]);
    await page.getByRole('button', { name: 'Start the lesson' }).click();
    await page.getByRole('button', { name: 'Next →' }).click();
    await settled(page);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the page itself breaks no rule');
    // Code the page did not ship is refused: an injected inline script, eval, Function.
    // (Playwright's own evaluate is exempt from the policy; CDP's is not when asked.)
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.body.append(s);
      return window.__injected === true;
    });
    const cdp = await page.context().newCDPSession(page);
    const refused = async (code) => {
      const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
        expression: `(() => { try { ${code}; return 'ran'; } catch (e) { return e.name; } })()`,
        allowUnsafeEvalBlockedByCSP: false,
        returnByValue: true,
      });
      return exceptionDetails ? 'blocked' : result.value;
    };
    assert.deepEqual({ ran, eval: await refused("eval('1')"), function: await refused("new Function('return 1')") }, { ran: false, eval: 'EvalError', function: 'EvalError' });
    const violations = await page.evaluate(() => window.__violations);
    // The three refusals just provoked, each reported by both policies (header and meta).
    assert.equal(violations.length, 6, violations.join('\n'));
    assert.ok(violations.every((v) => v.startsWith('script-src')), violations.join('\n'));
    assert.equal(await page.evaluate(() => document.cookie), '');
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
    assert.deepEqual(problems.foreign, []);
  });
});

test('integrity: a changed wasm or script is refused with a message, not a blank page', async () => {
  for (const [what, tamper] of [
    ['wasm', (f) => /^app-.*_bg\.wasm$/.test(f)],
    ['script', (f) => /^app-[0-9a-f]+\.js$/.test(f)],
  ]) {
    const dir = await mkdtemp(join(tmpdir(), 'flamingo-sri-'));
    try {
      await cp(dist, dir, { recursive: true });
      const file = (await readdir(dir)).find(tamper);
      const bytes = await readFile(join(dir, file));
      bytes[bytes.length - 100] ^= 1;
      await writeFile(join(dir, file), bytes);
      const own = await serveDist({ dir });
      try {
        await using(bare(`${own.origin}/`), async ({ page }) => {
          await page.waitForFunction(() => !document.querySelector('#boot-message')?.hidden, null, { timeout: 30_000 });
          const message = await page.locator('#boot-message').textContent();
          assert.match(message, /could not start/, what);
          assert.equal(await page.locator('main').count(), 0, what);
        });
      } finally {
        own.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('GELU: the core computes burn-flex\'s bits in this browser\'s wasm (test build)', async () => {
  // The core's GELU (crates/flamingo/src/gelu.rs) replaces burn-flex's for speed; natively a
  // test compares every f32. Here the page's own wasm, vectorised for the browser, compares
  // the two over about two million values.
  const own = await serveDist({ dir: join(root, 'dist-test') });
  try {
    await using(open(own.origin, false, '?backend=cpu'), async ({ page }) => {
      await page.locator('#test-gelu').click();
      await page.waitForFunction(() => document.querySelector('#test-gelu').dataset.differing !== undefined, null, { timeout: 60_000 });
      const checked = Number(await page.locator('#test-gelu').getAttribute('data-checked'));
      assert.ok(checked > 2_000_000, `${checked} values compared`);
      assert.equal(await page.locator('#test-gelu').getAttribute('data-differing'), '0');
    });
  } finally {
    own.close();
  }
});

test('panic: the banner says what happened and its link reloads with the state (test build)', async () => {
  const own = await serveDist({ dir: join(root, 'dist-test') });
  try {
    await using(open(own.origin, false, '?alpha=-2&k=5&backend=cpu'), async ({ page, problems }) => {
      await settled(page);
      // A change not yet in the address bar (it follows once the controls rest).
      await drag(page, 'Latents K', [6, 7]);
      await page.locator('#test-panic').click();
      const banner = page.locator('#panic-banner');
      await banner.waitFor({ timeout: 10_000 });
      assert.match(await banner.textContent(), /the test-only panic button was pressed/);
      assert.equal(await banner.getAttribute('role'), 'alert');
      const href = await page.locator('#panic-reload').getAttribute('href');
      const kept = new URLSearchParams(href.slice(1));
      assert.deepEqual([kept.get('alpha'), kept.get('k'), kept.get('backend')], ['-2', '7', 'cpu']);
      await page.locator('#panic-reload').click();
      await page.waitForFunction(() => /\d+ patches → 7 tokens/.test(document.querySelector('#resampler-shape')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.equal(await page.locator('#panic-banner').count(), 0);
      assert.ok(problems.console.some((m) => /panic/.test(m)), 'the panic was logged');
    });
    // Release builds have no such button.
    assert.doesNotMatch(await readFile(join(dist, (await readdir(dist)).find((f) => /^app-.*\.js$/.test(f))), 'utf8'), /test-panic/);
  } finally {
    own.close();
  }
});

test('WebGPU device lost: the CPU takes over with a notice, and WebGPU can be tried again', async () => {
  await using(open(server.origin, true, '?backend=webgpu&alpha=0.5'), async ({ page }) => {
    await page.waitForFunction(() => /^WebGPU/.test(document.querySelector('#backend').textContent), null, { timeout: 120_000 });
    await settled(page);
    // The WebGPU lab's worker keeps its devices on `labDevices` (web/lab-worker.js).
    const gpuWorkers = async () => {
      const out = [];
      for (const w of page.workers()) if (await w.evaluate(() => Array.isArray(self.labDevices)).catch(() => false)) out.push(w);
      return out;
    };
    const [worker] = await gpuWorkers();
    assert.ok(worker, 'a worker holds the WebGPU device');
    assert.equal(await page.evaluate(() => window.GPUAdapter.prototype.requestDevice.toString().includes('[native code]')), true, 'the page itself is not patched');
    const before = await text(page, '#identity-diff');
    await worker.evaluate(() => self.labDevices.forEach((d) => d.destroy()));
    await page.locator('#gpu-lost').waitFor({ timeout: 30_000 });
    assert.match(await text(page, '#gpu-lost'), /WebGPU stopped: the WebGPU device was lost \(destroyed/);
    await page.waitForFunction(() => /^CPU \(the WebGPU device was lost/.test(document.querySelector('#backend').textContent), null, { timeout: 30_000 });
    // Still computing, now on the CPU: a new alpha gives new readouts.
    await drag(page, 'Gate alpha', [1.5]);
    await settled(page);
    assert.notEqual(await text(page, '#identity-diff'), before);
    assert.equal(await text(page, '#tanh-alpha'), Math.tanh(1.5).toFixed(4));
    await page.getByRole('button', { name: 'Try WebGPU again' }).click();
    await page.waitForFunction(() => /^WebGPU/.test(document.querySelector('#backend').textContent), null, { timeout: 120_000 });
    // A fresh worker with a device of its own; the lost one's worker is gone.
    const after = await gpuWorkers();
    assert.equal(after.length, 1, 'one WebGPU worker');
    assert.equal(await after[0].evaluate(() => self.labDevices.filter((d) => d.lost).length), 1);
    await page.locator('#gpu-lost').waitFor({ state: 'detached', timeout: 10_000 });
  });
});

test('1000 input events in 2 s on every slider: the last value shows, one computation at a time, nothing left queued', async () => {
  await using(open(server.origin, false, '?backend=cpu&scale=1'), async ({ page, problems }) => {
    await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 60_000 });
    const sliders = await page.evaluate(() =>
      [...document.querySelectorAll('input[type=range]')].map((i) => ({
        label: i.getAttribute('aria-label') ?? [...(i.labels ?? [])].map((l) => l.textContent.trim()).join(''),
        range: [Number(i.min), Number(i.max), Number(i.step) || 1],
      })),
    );
    assert.ok(sliders.length >= 10, JSON.stringify(sliders));
    // Each slider's visible label names the range input alone: clicking its text focuses
    // the slider, and a query by that label finds exactly one control.
    for (const name of ['Gate alpha', 'Latents K', 'Gate scale', 'Shots']) {
      const byLabel = page.locator('#trained, #gate, #resampler, #few-shot-live').getByLabel(name, { exact: true });
      assert.equal(await byLabel.count(), 1, name);
      assert.equal(await byLabel.getAttribute('type'), 'range', name);
      await page.locator('label', { hasText: new RegExp(`^${name}$`) }).first().click();
      assert.equal(await page.evaluate(() => document.activeElement?.type), 'range', `${name}: the label's click focuses the slider`);
      assert.equal(await byLabel.evaluate((i) => i === document.activeElement), true, name);
    }
    // A short sequence drops the images past its end: the length goes last.
    sliders.sort((a, b) => (a.label === 'Sequence length') - (b.label === 'Sequence length'));
    for (const { label, range } of sliders) {
      // The last value differs from the first of the walk, so a stale frame cannot pass.
      // (An image may not land on another: a marker takes a free token of its own.)
      const image = label.match(/^Image (\d+) position$/);
      const last = image ? Number(image[1]) * 5 - 2 : +(range[0] + Math.round(((range[1] - range[0]) * 0.35) / range[2]) * range[2]).toFixed(4);
      const counters = (sel) => page.evaluate((sel) => ({ ...document.querySelector(sel).dataset }), sel);
      const mechanics0 = await counters('#backend');
      const caption0 = await counters('#caption-text');
      const { ms, last: shown } = await drag(page, label, walk(1000, range, last), 2000);
      assert.ok(ms < 2500, `${label}: 1000 events took ${ms} ms`);
      assert.equal(Number(shown), last, label);
      // The readout beside the slider shows the last value.
      const readout = await page.evaluate((label) => {
        const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.getAttribute('aria-label') === label || [...(i.labels ?? [])].some((l) => l.textContent.trim() === label));
        return (document.querySelector(`output[for="${input.id}"]`) ?? input.closest('label')?.querySelector('span'))?.textContent;
      }, label);
      assert.match(readout ?? '', new RegExp(`(^|\\D)${String(last).replace('.', '\\.')}(0*)?$`), `${label}: readout ${readout}`);
      // Only the mechanics panels' sliders reach their frame (and its query).
      if (!['Gate scale', 'Shots', 'Examples', 'Frames T'].includes(label)) await settled(page);
      if (label === 'Gate scale') {
        await page.waitForFunction((last) => (document.querySelector('#caption-text').dataset.answers ?? '').endsWith(`|${last}`), last, { timeout: 30_000 });
      }
      await page.waitForTimeout(300);
      const mechanics = await counters('#backend');
      const caption = await counters('#caption-text');
      await page.waitForTimeout(500);
      // At rest nothing runs any more: nothing was left queued behind the newest.
      assert.deepEqual(await counters('#backend'), mechanics, `${label}: mechanics still computing at rest`);
      assert.deepEqual(await counters('#caption-text'), caption, `${label}: captions still computing at rest`);
      // The trained model's controls and the lesson's own never recompute the mechanics.
      if (['Gate scale', 'Shots', 'Examples', 'Frames T'].includes(label)) assert.equal(mechanics.runs, mechanics0.runs, `${label} recomputed the mechanics panels`);
      for (const [name, c, c0] of [['mechanics', mechanics, mechanics0], ['caption', caption, caption0]]) {
        assert.ok(Number(c.mostInFlight) <= 1, `${label}: ${name} ran ${c.mostInFlight} at once`);
        const runs = Number(c.runs) - Number(c0.runs);
        assert.ok(runs <= 1000, `${label}: ${name} ran ${runs} times for 1000 events`);
      }
      console.log(`slider ${label}: mechanics runs ${Number(mechanics.runs) - Number(mechanics0.runs)}, captions ${Number(caption.runs) - Number(caption0.runs)} for 1000 events in ${ms.toFixed(0)} ms`);
    }
    assert.deepEqual(problems.console, []);
  });
});

test('10,000 interactions: the JS heap and the wasm memories grow by less than 5 MB', async () => {
  await using(open(server.origin, false, '?backend=cpu&scale=1'), async ({ page, problems }) => {
    await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 60_000 });
    const cdp = await page.context().newCDPSession(page);
    const measure = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      // Every WebAssembly.Memory in the page (the page's module; WebGPU's where loaded).
      const { result: proto } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
      const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId });
      const { result } = await cdp.send('Runtime.callFunctionOn', {
        objectId: objects.objectId,
        functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }',
        returnByValue: true,
      });
      // And every lab worker's memory (web/lab-worker.js keeps it on `labMemory`).
      const labs = [];
      for (const w of page.workers()) labs.push(await w.evaluate(() => self.labMemory?.buffer.byteLength ?? 0).catch(() => 0));
      const inLabs = labs.filter((b) => b > 0);
      return { js: usedSize, wasm: result.value.reduce((a, b) => a + b, 0) + inLabs.reduce((a, b) => a + b, 0), memories: result.value.length + inLabs.length, labs: inLabs.length };
    };
    // Interactions that each reach a computation: the gate, K, the sequence and the gate scale.
    const round = async (n) => {
      const plan = [
        ['Gate alpha', [-4, 4, 0.05]],
        ['Latents K', [1, 32, 1]],
        ['Sequence length', [8, 24, 1]],
        ['Gate scale', [0, 2, 0.05]],
      ];
      for (let done = 0, i = 0; done < n; i++) {
        const [label, range] = plan[i % plan.length];
        const count = Math.min(500, n - done);
        await drag(page, label, walk(count, range, range[0] + range[2] * ((i * 3) % 7)), 1000);
        done += count;
      }
      await page.waitForTimeout(1000);
    };
    // Warm-up: allocators and wasm memories reach their working size, which they keep.
    await round(2000);
    const start = await measure();
    await round(10_000);
    const end = await measure();
    const mb = (b) => (b / 2 ** 20).toFixed(2);
    console.log(`memory: JS heap ${mb(start.js)} → ${mb(end.js)} MB; wasm (${end.memories} memories) ${mb(start.wasm)} → ${mb(end.wasm)} MB`);
    assert.ok(start.memories >= 1, 'the page module\'s memory is found');
    assert.ok(start.labs >= 1 && end.labs === start.labs, `every lab worker's memory is found, the same workers at the end (${start.labs}, ${end.labs})`);
    assert.ok(end.js - start.js < 5 * 2 ** 20, `JS heap grew ${mb(end.js - start.js)} MB`);
    assert.ok(end.wasm - start.wasm < 5 * 2 ** 20, `wasm memories grew ${mb(end.wasm - start.wasm)} MB`);
    assert.deepEqual(problems.console, []);
  });
});

const upload = (page, name, buffer, mimeType) => page.getByLabel('Your image').setInputFiles({ name, mimeType, buffer });
const messageMatches = (page, re) =>
  page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#picture-message')?.textContent ?? ''), re.source, { timeout: 30_000 });
const captionOf = async (page, key) => {
  await page.waitForFunction((key) => {
    const [k, s] = (document.querySelector('#caption-text')?.dataset.answers ?? '').split('|');
    return s === '1' && (key === 'own' ? k.startsWith('own:') && k !== window.__lastOwn : k === key);
  }, key, { timeout: 60_000 });
  const answers = await page.locator('#caption-text').getAttribute('data-answers');
  await page.evaluate((a) => { window.__lastOwn = a.split('|')[0]; }, answers);
  return (await page.locator('#caption-text').textContent()).trim();
};

test('unusual pictures work: animated (first frame), CMYK, 16-bit, EXIF rotation honoured', async () => {
  await using(open(server.origin, false, '?scene=3&scale=1'), async ({ page, problems }) => {
    await captionOf(page, 'scene:3');
    for (const [name, type, size] of [
      ['animated.gif', 'image/gif', '64 × 64'],
      ['animated.webp', 'image/webp', '64 × 64'],
      ['cmyk.jpg', 'image/jpeg', '64 × 64'],
      ['sixteen-bit.png', 'image/png', '64 × 64'],
      ['exif-rotated.jpg', 'image/jpeg', '32 × 48'],
    ]) {
      await upload(page, name, await fixture(name), type);
      await messageMatches(page, new RegExp(`Your picture, ${size} pixels`));
      // The fixtures' first (or only) frame is a blue triangle; an animation's second is a red disc.
      assert.equal(await captionOf(page, 'own'), 'a blue triangle', name);
    }
    // Rotated as EXIF says: the apex (blue) at the top centre, grey at the top corners.
    const [d] = await imagePixels(page, '#given-picture');
    const at = (fx, fy) => {
      const i = (Math.floor(fy * d.height) * d.width + Math.floor(fx * d.width)) * 4;
      return d.data.slice(i, i + 3);
    };
    const top = { apex: at(0.5, 0.3), corner: at(0.1, 0.1), base: at(0.5, 0.75) };
    assert.ok(top.apex[2] > 150 && top.apex[0] < 120, `apex ${top.apex}`);
    assert.ok(top.base[2] > 150 && top.base[0] < 120, `base ${top.base}`);
    assert.ok(top.corner[0] > 180 && top.corner[2] > 180, `corner ${top.corner}`);
    assert.deepEqual(problems.console, []);
  });
});

test('hostile pictures are refused with a message; picture, caption and link stay; an SVG\'s script never runs', async () => {
  await using(open(server.origin, false, '?scene=3&scale=1'), async ({ page, problems }) => {
    const before = await captionOf(page, 'scene:3');
    const title = await page.title();
    // Playwright passes a buffer this big only as a file.
    const fifty = join(await mkdtemp(join(tmpdir(), 'flamingo-50mb-')), 'fifty.png');
    const bytes = Buffer.alloc(50 * 2 ** 20);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
    await writeFile(fifty, bytes);
    for (const [name, bytes, type, message] of [
      ['empty.png', Buffer.alloc(0), 'image/png', /empty/],
      ['truncated.png', await fixture('truncated.png'), 'image/png', /PNG file is cut short/],
      ['truncated.jpg', await fixture('truncated.jpg'), 'image/jpeg', /JPEG file is cut short/],
      ['script.svg', await fixture('script.svg'), 'image/svg+xml', /SVG is a drawing made of code/],
      ['fifty.png', fifty, 'image/png', /50\.0 MB; the page takes at most 30 MB/],
    ]) {
      if (typeof bytes === 'string') await page.getByLabel('Your image').setInputFiles(bytes);
      else await upload(page, name, bytes, type);
      await messageMatches(page, message);
      assert.equal(await captionOf(page, 'scene:3'), before, name);
      assert.match(await page.locator('.picture-name').textContent(), /^scene 3/, name);
    }
    assert.equal(new URL(page.url()).searchParams.get('scene'), '3');
    assert.equal(await page.evaluate(() => window.__svgRan), undefined);
    assert.equal(await page.title(), title);
    assert.equal(await page.locator('polygon[fill="#2850dc"]').count(), 0, 'the SVG never entered the DOM');
    assert.deepEqual(problems.console, []);
    await rm(dirname(fifty), { recursive: true, force: true });
  });
});

test('a new version replaces the old whole: served A, then B, a reload shows B alone, online and offline', async () => {
  const a = await mkdtemp(join(tmpdir(), 'flamingo-a-'));
  const b = await mkdtemp(join(tmpdir(), 'flamingo-b-'));
  try {
    await cp(dist, a, { recursive: true });
    await cp(dist, b, { recursive: true });
    // Version B: a changed stylesheet under a new content-hashed name, as a new build has.
    const cssA = (await readdir(b)).find((f) => /^style-[0-9a-f]{16}\.css$/.test(f));
    const css = Buffer.concat([await readFile(join(b, cssA)), Buffer.from('\nbody { --build: "B"; }\n')]);
    const cssB = `style-${createHash('sha256').update(css).digest('hex').slice(0, 16)}.css`;
    await rm(join(b, cssA));
    await writeFile(join(b, cssB), css);
    const sri = `sha384-${createHash('sha384').update(css).digest('base64')}`;
    const html = (await readFile(join(b, 'index.html'), 'utf8')).replace(new RegExp(`href="/${cssA}" integrity="[^"]+"`), `href="/${cssB}" integrity="${sri}"`);
    assert.ok(html.includes(cssB));
    await writeFile(join(b, 'index.html'), html);
    await writePrecache(b);
    const version = async (dir) => (await readFile(join(dir, 'sw.js'), 'utf8')).match(/^const VERSION = '([0-9a-f]+)';$/m)[1];
    const [versionA, versionB] = [await version(a), await version(b)];
    assert.notEqual(versionA, versionB);

    const own = await serveDist({ dir: a });
    try {
      await using(open(own.origin, false), async ({ page, problems }) => {
        const caches = () => page.evaluate(async () => {
          const keys = await caches.keys();
          const urls = await Promise.all(keys.map(async (k) => (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname)));
          return { keys, urls: urls.flat() };
        });
        await page.evaluate(() => navigator.serviceWorker.ready);
        await until(async () => (await caches()).keys.includes(`flamingo-explainer-${versionA}`), 'A is cached');
        own.serve(b);
        await page.reload();
        await page.waitForFunction(() => /\d+ patches/.test(document.querySelector('#resampler-shape')?.textContent ?? ''), null, { timeout: 120_000 });
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--build').trim()), '"B"');
        // B's worker takes over and A's cache is gone, not merged.
        await until(async () => (await caches()).keys.join() === `flamingo-explainer-${versionB}`, 'B alone is cached');
        const cached = await caches();
        assert.ok(!cached.urls.includes(`/${cssA}`), `A's stylesheet is not in the cache: ${JSON.stringify(cached)}`);
        // Offline, the page that loads is B, whole.
        own.close();
        await page.context().setOffline(true);
        await page.reload();
        await page.waitForFunction(() => /\d+ patches/.test(document.querySelector('#resampler-shape')?.textContent ?? ''), null, { timeout: 120_000 });
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--build').trim()), '"B"');
        const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
        const filesB = new Set(['/', ...(await readdir(b, { recursive: true })).map((f) => `/${f}`)]);
        const foreign = loaded.filter((p) => !filesB.has(p));
        assert.deepEqual(foreign, [], 'every file loaded offline is B\'s');
        assert.deepEqual(problems.foreign, []);
        await page.context().setOffline(false);
      });
    } finally {
      own.close();
    }
  } finally {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  }
});

test('a configuration over the memory cap is refused before it runs; the caps are stated; a smaller one then computes', async () => {
  const big = '?backend=cpu&width=1024&k=128&depth=6&patch=8&size=480&len=48&images=0,6,12,18,24,30,36,42';
  await using(bare(`${server.origin}/${big}`), async ({ page }) => {
    await page.waitForFunction(() => /needs about \d+ MB, more than the 1024 MB/.test(document.querySelector('.error')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.locator('#backend').getAttribute('data-runs'), '0', 'nothing was computed');
    assert.match(await text(page, '#caps'), /K 1–128, depth 1–6, .* more than 1024 MB is refused before it runs/);
    // The same state with coarse patches fits: it computes, and the refusal goes.
    await drag(page, 'Patch size', [56]);
    await page.waitForFunction(() => /64 patches → 128 tokens/.test(document.querySelector('#resampler-shape')?.textContent ?? ''), null, { timeout: 120_000 });
    assert.equal(await page.locator('.error').count(), 0);
    assert.equal(await page.locator('#panic-banner').count(), 0);
  });
});
