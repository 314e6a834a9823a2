// Training the bridge live (issue 23), in Chromium: stage 3 in the trainer module's
// worker, the gates leaving 0, the loss on the picture's words falling, a slider still
// answering, Pause, the experiments' first step, and a run's weights saved as a file.
// (The main thread's long tasks while it trains are a benchmark, BENCHMARKS.md, not a test.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

test('Train runs stage 3 in a worker: the gates leave 0, the picture loss falls, a slider still answers; Pause stops it', async () => {
  const { browser, page, problems } = await openPage(origin, false, '?backend=cpu');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 120_000 });
  await page.locator('#train-live').scrollIntoViewIfNeeded();
  assert.equal((await progress(page)).step, 0);
  await page.click('#train-live button:has-text("Train")');
  await page.waitForFunction(() => Number(document.querySelector('#train-progress').dataset.step) >= 2, null, { timeout: 60_000 });
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
  // The first steps' picture loss against the last: read from the drawn record.
  const record = await page.evaluate(() => document.querySelector('#train-losses').dataset.picture.split(',').map(Number));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(record.slice(-10)) < mean(record.slice(0, 10)), `picture loss ${mean(record.slice(0, 10))} → ${mean(record.slice(-10))}`);
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
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});

test('the experiments start from the same bridge: fast gates from the default step-0 loss, no gate from another', async () => {
  const { browser, page, problems } = await openPage(origin, false, '?backend=cpu');
  await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 120_000 });
  const firstLoss = async () => {
    await page.click('#train-live button:has-text("Train")');
    await page.waitForFunction(() => Number(document.querySelector('#train-progress').dataset.step) >= 1, null, { timeout: 60_000 });
    await page.click('#train-live button:has-text("Pause")');
    const loss = await page.evaluate(() => Number(document.querySelector('#train-losses').dataset.all.split(',')[0]));
    await page.click('#train-live button:has-text("Reset")');
    return loss;
  };
  const gate = page.getByRole('combobox', { name: 'Gates learn' });
  const tanh = page.getByRole('combobox', { name: 'Gate', exact: true });
  const base = await firstLoss();
  await gate.selectOption({ index: 1 });
  assert.match(await page.locator('#train-run').textContent(), /gates learn ×100 faster/);
  const fast = await firstLoss();
  await gate.selectOption({ index: 0 });
  await tanh.selectOption({ index: 1 });
  const ungated = await firstLoss();
  assert.equal(fast, base);
  assert.notEqual(ungated, base);
  assert.deepEqual(problems, { console: [], foreign: [] });
  await browser.close();
});
