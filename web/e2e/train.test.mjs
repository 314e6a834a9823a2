// Training the bridge live (issue 23), in Chromium: stage 3 in the trainer module's
// worker, the gates leaving 0, the loss on the picture's words falling, a slider still
// answering (training waits while it is dragged), Pause, the experiments' first step kept
// side by side, and a run's weights saved as a file, used in place of the shipped ones,
// opened again, and put back.
// (The main thread's long tasks while it trains are a benchmark, BENCHMARKS.md, not a test.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serveDist } from '../serve-dist.mjs';
import { open as openPage } from './session.mjs';

let server, origin;
before(async () => {
  server = await serveDist();
  origin = server.origin;
});
after(() => server.close());

const progress = (page) =>
  page.evaluate(() => {
    const p = document.querySelector('#train-progress').dataset;
    return { step: Number(p.step), picture: Number(p.lossPicture), gates: (p.gates ?? '').split(',').filter(Boolean).map(Number) };
  });

// Waits until the run has taken `n` steps; past `ms`, the error says what the panel showed
// (its step, its message, its buttons), so a run that never started can be told from a slow one.
async function stepsReach(page, n, ms) {
  try {
    await page.waitForFunction((n) => Number(document.querySelector('#train-progress').dataset.step) >= n, n, { timeout: ms });
  } catch (e) {
    const panel = await page.evaluate(() => ({
      step: document.querySelector('#train-progress').dataset.step,
      message: document.querySelector('#train-message').textContent,
      buttons: [...document.querySelectorAll('#train-live button')].map((b) => b.textContent + (b.disabled ? ' (disabled)' : '')),
    }));
    throw new Error(`${e.message} The panel: ${JSON.stringify(panel)}`);
  }
}

test('Train runs stage 3 in a worker: the gates leave 0, the picture loss falls, a slider still answers; Pause stops it', async () => {
  const { browser, page, problems } = await openPage(origin, false, '?backend=cpu');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 120_000 });
  await page.locator('#train-live').scrollIntoViewIfNeeded();
  assert.equal((await progress(page)).step, 0);
  await page.click('#train-live button:has-text("Train")');
  // The first press loads and compiles the trainer's module as well.
  await stepsReach(page, 2, 120_000);
  const first = await progress(page);
  await page.waitForTimeout(20_000);
  // A slider elsewhere still answers while the worker trains.
  const slider = page.getByRole('slider', { name: 'Gate scale' });
  await slider.focus();
  await slider.press('Home');
  await page.waitForFunction(() => (document.querySelector('#caption-text').dataset.answers ?? '').endsWith('|0'), null, { timeout: 5_000 });
  const later = await progress(page);
  assert.ok(later.step > first.step + 10, `steps ${first.step} → ${later.step}`);
  assert.ok(later.gates.length === 4 && later.gates.every((g) => g !== 0), `gates ${later.gates}`);
  // While the student drags a slider, training waits: at most the call already sent (two
  // steps) finishes during the drag, and the steps go on once the slider is let go. The
  // drag is played in the page (a move with the button held and the slider's input every
  // 30 ms for 1.5 s), so no driver round trip leaves a pause in it.
  const { pressed, dragged } = await page.evaluate(async () => {
    const slider = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
    const step = () => Number(document.querySelector('#train-progress').dataset.step);
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    slider.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, buttons: 1 }));
    const pressed = step();
    for (let i = 0; i < 50; i++) {
      slider.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, buttons: 1 }));
      set.call(slider, i % 2 ? '0.5' : '1');
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => setTimeout(r, 30));
    }
    const dragged = step();
    slider.dispatchEvent(new PointerEvent('pointerup', { bubbles: true }));
    return { pressed, dragged };
  });
  assert.ok(dragged <= pressed + 2, `steps during the drag: ${pressed} → ${dragged}`);
  await stepsReach(page, dragged + 4, 10_000);
  // The first steps' picture loss against the last: read from the drawn record.
  const record = await page.evaluate(() => document.querySelector('#train-losses').dataset);
  assert.ok(Number(record.pictureLast) < Number(record.pictureFirst), `picture loss ${record.pictureFirst} → ${record.pictureLast}`);
  // The page's first steps are the native code's (crates/lab's test writes the record).
  const head = JSON.parse(await page.evaluate(() => document.querySelector('#train-progress').dataset.head));
  const native = JSON.parse(await readFile(new URL('./fixtures/live-training.json', import.meta.url), 'utf8'));
  assert.equal(head.length, native.length);
  head.forEach((step, i) => {
    const numbers = (e) => [e.loss, e.loss_image, e.loss_text, ...e.gates.flat()];
    numbers(step).forEach((v, j) => {
      const n = numbers(native[i])[j];
      assert.ok(Math.abs(v - n) <= 1e-4 * Math.max(Math.abs(n), 1e-3), `step ${i}, number ${j}: page ${v}, native ${n}`);
    });
  });
  const probe = await page.evaluate(() => document.querySelector('#train-probe').dataset);
  assert.ok(Number(probe.colour) >= 0 && Number(probe.colour) <= 1, JSON.stringify(probe));

  await page.click('#train-live button:has-text("Pause")');
  // The call already sent finishes; then nothing more is asked.
  await page.waitForTimeout(1_500);
  const paused = (await progress(page)).step;
  await page.waitForTimeout(2_000);
  assert.equal((await progress(page)).step, paused, 'Pause stops the step counter');

  // The run's weights as a file, in the shipped format (safetensors: a length, then JSON).
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-live button:has-text("Save these weights")')]);
  const bytes = await (await import('node:fs/promises')).readFile(await download.path());
  const header = Number(bytes.readBigUInt64LE(0));
  assert.match(bytes.subarray(8, 8 + header).toString(), /"__metadata__"/);
  // While it trained, the run captioned the panel's picture now and then.
  assert.match(await page.locator('#train-caption').textContent(), /^“.+”$/);

  // The run's weights in place of the shipped ones, the same again from the saved file,
  // a file that is not weights refused, and back.
  const caption = () => page.evaluate(() => {
    const c = document.querySelector('#caption-text');
    return { text: c.textContent, weights: c.dataset.weights };
  });
  const shipped = await caption();
  assert.equal(shipped.weights, 'shipped');
  await page.click('#train-live button:has-text("Use these weights")');
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.weights.startsWith('your run 1 at step'), null, { timeout: 10_000 });
  assert.match(await page.locator('#weights-in-use').textContent(), /your run 1 at step \d+/);
  const used = await caption();
  await page.locator('input[aria-label="Open saved weights"]').setInputFiles(await download.path());
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.weights.startsWith('the file '), null, { timeout: 10_000 });
  assert.equal((await caption()).text, used.text, 'the saved file captions as the run it was saved from');
  await page.locator('input[aria-label="Open saved weights"]').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not weights') });
  await page.waitForFunction(() => document.querySelector('#train-message').textContent.includes('could not be used'), null, { timeout: 10_000 });
  await page.locator('input[aria-label="Open saved weights"]').setInputFiles({ name: 'film.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(17_000_000) });
  await page.waitForFunction(() => document.querySelector('#train-message').textContent.includes('film.safetensors is 17 MB'), null, { timeout: 10_000 });
  assert.match((await caption()).weights, /^the file /, 'a refused file changes nothing');
  await page.click('#trained button:has-text("Back to the shipped model")');
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.weights === 'shipped', null, { timeout: 10_000 });
  assert.equal((await caption()).text, shipped.text);
  assert.equal(await page.locator('#weights-in-use').count(), 0);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the experiments start from the same bridge: fast gates from the default step-0 loss, no gate from another', async () => {
  const { browser, page, problems } = await openPage(origin, false, '?backend=cpu');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 120_000 });
  const firstLoss = async () => {
    await page.click('#train-live button:has-text("Train")');
    await stepsReach(page, 1, 60_000);
    await page.click('#train-live button:has-text("Pause")');
    const loss = await page.evaluate(() => Number(document.querySelector('#train-losses').dataset.first));
    await page.click('#train-live button:has-text("Reset")');
    return loss;
  };
  const gate = page.getByRole('combobox', { name: 'Gates learn' });
  const tanh = page.getByRole('combobox', { name: 'Gate', exact: true });
  // After one step every gate is still near 0: these weights caption as the language
  // model guesses, not as the shipped model sees; "Back" restores the shipped caption.
  const shipped = await page.evaluate(() => document.querySelector('#caption-text').textContent);
  await page.click('#train-live button:has-text("Train")');
  await stepsReach(page, 1, 120_000);
  await page.click('#train-live button:has-text("Pause")');
  await page.click('#train-live button:has-text("Use these weights")');
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.weights.startsWith('your run'), null, { timeout: 10_000 });
  const early = await page.evaluate(() => document.querySelector('#caption-text').textContent);
  assert.notEqual(early, shipped, 'the run\'s weights caption the picture otherwise');
  await page.click('#train-live button:has-text("Back to the shipped model")');
  await page.waitForFunction(() => document.querySelector('#caption-text').dataset.weights === 'shipped', null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => document.querySelector('#caption-text').textContent), shipped);
  await page.click('#train-live button:has-text("Reset")');
  const base = await firstLoss();
  await gate.selectOption({ index: 1 });
  assert.match(await page.locator('#train-run').textContent(), /gates learn ×100 faster/);
  const fast = await firstLoss();
  await gate.selectOption({ index: 0 });
  await tanh.selectOption({ index: 1 });
  const ungated = await firstLoss();
  assert.equal(fast, base);
  assert.notEqual(ungated, base);
  // Reset kept each run's curves on the same axes, labelled with its settings: the last
  // three of the four runs.
  const losses = page.locator('#train-losses');
  assert.equal(await losses.getAttribute('data-runs'), '3');
  const label = await losses.getAttribute('aria-label');
  assert.match(label, /run 2: rate 0\.003, tanh gate.*run 3: .*gates learn ×100 faster.*run 4: .*no gate/, label);
  const legend = await page.locator('#train-live .run-legend li').allTextContents();
  assert.deepEqual(legend.map((l) => l.split(':')[0]), ['run 2', 'run 3', 'run 4'], legend.join(' | '));
  await page.click('#train-live button:has-text("Forget earlier runs")');
  assert.equal(await losses.getAttribute('data-runs'), '0');
  assert.equal(await page.locator('#train-live .run-legend li').count(), 0);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});
