// Firefox and WebKit behind one small interface, for the tests of the built page in
// the engines other than Chromium (engines.test.mjs):
// - Firefox ESR: puppeteer-core over WebDriver BiDi, headless.
// - WebKitGTK: WebKitWebDriver driving MiniBrowser (which has no headless mode) on an
//   Xvfb display of its own, through selenium-webdriver.
// - And Chromium (playwright-core) with flags of its own, behind the same interface.
// Each `launch…` resolves to a session; `close()` ends the browser, the driver and the
// display, and must run even when a test fails (a leaked browser keeps node alive).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';

export const FIREFOX = '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const CHROMIUM = '/usr/bin/chromium';

/** The Debian package's version, or "not installed". */
export function debianVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '--showformat', '${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'not installed';
  }
}

// Runs in the page: the element a test means. A CSS selector, or { label, within }:
// the form control whose <label> (or aria-label) reads `label`, inside `within` if given.
const FIND = `function find(spec) {
  if (typeof spec === 'string') {
    const el = document.querySelector(spec);
    if (!el) throw new Error('no element matches ' + spec);
    return el;
  }
  const scope = spec.within ? document.querySelector(spec.within) : document;
  if (!scope) throw new Error('no element matches ' + spec.within);
  const named = (el) => [...(el.labels ?? [])].some((l) => l.textContent.trim() === spec.label) || el.getAttribute('aria-label') === spec.label;
  const el = [...scope.querySelectorAll('input, select, textarea, button')].find(named);
  if (!el) throw new Error('no control labelled ' + JSON.stringify(spec.label));
  return el;
}`;

// Runs in the page: the element `spec` means, scrolled to the middle of the view, once the
// browser has drawn it there. A panel far off the screen is skipped by the browser
// (content-visibility) until it comes near, and WebKit lays the panel out only a frame or
// two after the scroll: a driver's click before then finds an empty box, or one still
// moving, where a person's click comes frames later. So it waits until the element is
// drawn (checkVisibility), in the view, at the same place two frames running, and is what
// a click at its centre would hit.
const inView = (spec) => `(async () => {
  const find = ${FIND};
  const el = find(${JSON.stringify(spec)});
  const frame = () => new Promise((drawn) => requestAnimationFrame(drawn));
  const inside = (r) => r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
  const hit = (r) => el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
  el.scrollIntoView({ block: 'center' });
  let last = '';
  for (let i = 0; i < 300; i++) {
    await frame();
    const r = el.getBoundingClientRect();
    if (!inside(r)) el.scrollIntoView({ block: 'center' });
    const now = JSON.stringify(r);
    if (now === last && inside(r) && hit(r) && (el.checkVisibility?.({ contentVisibilityAuto: true }) ?? true)) return el;
    last = now;
  }
  throw new Error('not drawn in the view after 300 frames: ' + el.outerHTML.slice(0, 80) + ' at ' + last + ', view height ' + innerHeight);
})()`;

// Runs in the page: what a user's drag does to a range input (`input` at each value the
// thumb passes, from where it is to `value`, and `change` on release), and what picking
// an option does to a <select> (`input`, `change`).
const SET_VALUE = `function setValue(el, value, steps) {
  const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  const set = (v) => Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, String(v));
  const from = Number(el.value);
  for (let i = 1; i <= steps; i++) {
    set(i === steps ? value : from + ((Number(value) - from) * i) / steps);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return el.value;
}`;

// Runs in the page, once it has loaded: errors from then on, into window.__engineErrors.
// Uncaught exceptions, unhandled rejections and console.error calls.
const COLLECT_ERRORS = `(() => {
  if (window.__engineErrors) return;
  const errors = (window.__engineErrors = []);
  addEventListener('error', (e) => errors.push('uncaught: ' + (e.message || (e.target && e.target.src) || 'error')), true);
  addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + String((e.reason && e.reason.message) || e.reason)));
  const original = console.error;
  console.error = function (...args) {
    errors.push('console.error: ' + args.map(String).join(' '));
    return original.apply(this, args);
  };
})()`;

// Runs in the page: every URL it asked for (the document and its resources), from the
// Resource Timing entries, which all three engines keep.
const REQUESTED = `function requested() {
  return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => e.name);
}`;

/** In the page: `setValue` on the element `spec` names. */
const setValueOf = (spec, value, steps) =>
  `(() => { const find = ${FIND}; const setValue = ${SET_VALUE}; return setValue(find(${JSON.stringify(spec)}), ${JSON.stringify(value)}, ${steps}); })()`;

/** The source of `fn` called with the JSON arguments, as one expression. */
const call = (fn, args) => `(${fn})(...${JSON.stringify(args)})`;

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * The browser ended the session: it, or the process drawing the page, crashed. WebKit
 * ends a WebDriver session when the page's web process dies (WebPageProxy terminates the
 * automation session), so every later command answers NoSuchSessionError.
 */
export class SessionEnded extends Error {}

/** Whether `e` says the session is gone for good (no later command can succeed). */
export const sessionEnded = (e) => e instanceof SessionEnded || e?.name === 'NoSuchSessionError' || e?.name === 'TargetCloseError';

/** The common part: everything written in terms of `evaluate(source)`. */
function common(evaluateSource, extra) {
  const session = {
    /** Calls `fn` in the page with the JSON-able `args`; resolves to its JSON-able result (awaited). */
    evaluate: (fn, ...args) => evaluateSource(call(fn, args)),
    /** Resolves once `fn(...args)` is truthy in the page (polled), to its value. */
    async waitFor(fn, args = [], timeout = 30_000, what = String(fn)) {
      const end = Date.now() + timeout;
      let last;
      for (;;) {
        try {
          last = await session.evaluate(fn, ...args);
          if (last) return last;
        } catch (e) {
          // A session the browser ended never answers again: say so now, not at the deadline.
          if (sessionEnded(e)) throw new SessionEnded(`${session.engine} ended the session while waiting for ${what}: ${e.message}`);
          // A navigation in progress answers with an error; the deadline still holds.
          last = e;
        }
        if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
        await sleep(100);
      }
    },
    /** Drags a range input to `value` as a user would: `input` at `steps` values on the way, then `change`. */
    setRange: (spec, value, steps = 4) => evaluateSource(setValueOf(spec, value, steps)),
    /** Picks a <select>'s option by value, with the events the browser sends. */
    select: (spec, value) => evaluateSource(setValueOf(spec, value, 1)),
    /** Reads a property of the element (`textContent`, `value`, `checked`, `hidden`…). */
    prop: (spec, name) => evaluateSource(`(() => { const find = ${FIND}; return find(${JSON.stringify(spec)})[${JSON.stringify(name)}]; })()`),
    /** Starts recording uncaught errors and console.error calls (see `errors()`). */
    collectErrors: () => evaluateSource(COLLECT_ERRORS),
    /** Every URL the page requested, by its Resource Timing entries. */
    requested: () => evaluateSource(`(${REQUESTED})()`),
    ...extra,
  };
  return session;
}

/**
 * A session over a Puppeteer or Playwright page (their APIs agree on what is used here):
 * console errors and uncaught exceptions recorded from the start; a string is evaluated
 * by the protocol, outside the page's Content-Security-Policy.
 */
function pageSession(page, extra) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`uncaught: ${e}`));
  return common((source) => page.evaluate(source), {
    async open(url) {
      // The previous page first: requests it still had in flight are cut off as it
      // unloads, and Firefox reports those as errors, which belong to that page.
      await page.goto('about:blank');
      errors.length = 0;
      await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    },
    /** Problems since `open`: the driver's console and exception events. */
    async errors() {
      return [...errors];
    },
    async click(spec) {
      const el = await page.evaluateHandle(inView(spec));
      await el.asElement().click();
      await el.dispose();
    },
    /** Draws one stroke with the mouse through `points` (0..1 of the element's box). */
    async drag(selector, points) {
      const el = await page.evaluateHandle(inView(selector));
      const box = await el.asElement().boundingBox();
      await el.dispose();
      const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
      await page.mouse.move(...at(points[0]));
      await page.mouse.down();
      for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
      await page.mouse.up();
    },
    async screenshot(path) {
      await page.screenshot({ path, fullPage: true });
    },
    ...extra,
  });
}

/**
 * Firefox ESR by WebDriver BiDi. `prefs`: extra about:config preferences.
 * Console errors and uncaught exceptions are recorded from the start of the page.
 */
export async function launchFirefox({ prefs = {} } = {}) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: prefs,
    defaultViewport: { width: 1280, height: 900 },
  });
  try {
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    return pageSession(page, {
      engine: 'Firefox',
      version: `${await browser.version()} (Debian firefox-esr ${debianVersion('firefox-esr')})`,
      close: () => closeFirefox(browser),
    });
  } catch (e) {
    await closeFirefox(browser);
    throw e;
  }
}

/**
 * Debian's Chromium by playwright-core, as session.mjs opens it, with `args` added: for
 * the checks that need a Chromium changed by its flags (V8's, say) rather than another engine.
 */
export async function launchChromium({ args = [] } = {}) {
  const { chromium } = await import('playwright-core');
  const { chromiumArgs } = await import('../serve-dist.mjs');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...chromiumArgs(false), ...args] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    return pageSession(page, {
      engine: 'Chromium',
      version: `${browser.version()} (Debian chromium ${debianVersion('chromium')})${args.length ? `, with ${args.join(' ')}` : ''}`,
      close: () => browser.close(),
    });
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** Closes Firefox; kills it (and its content processes) where closing takes over 10 s. */
async function closeFirefox(browser) {
  const child = browser.process();
  await Promise.race([browser.close().catch(() => {}), sleep(10_000)]);
  if (child) await stop(child);
}

// The driver and Xvfb run in process groups of their own (so that killing one reaches the
// browser the driver started): killed here too if this process exits or is told to stop
// without closing them. (puppeteer does the same for Firefox.)
const live = new Set();
let handlersInstalled = false;
function track(child) {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.once(signal, () => {
        killAll();
        process.kill(process.pid, signal);
      });
    }
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
function killAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
}

/** Kills a detached child's whole process group (the driver and the browsers it started). */
function killGroup(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  killGroup(child, 'SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) return;
  killGroup(child, 'SIGKILL');
  await Promise.race([exited, sleep(2000)]);
}

/** An Xvfb display of its own: resolves to { display, process }. */
async function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(xvfb);
  let stderr = '';
  xvfb.stderr.on('data', (d) => (stderr += d));
  try {
    const display = await new Promise((ok, fail) => {
      let out = '';
      xvfb.stdio[3].on('data', (d) => {
        out += d;
        if (out.includes('\n')) ok(`:${out.trim()}`);
      });
      xvfb.once('exit', (code) => fail(new Error(`Xvfb exited (${code}): ${stderr}`)));
      setTimeout(() => fail(new Error(`Xvfb gave no display in 20 s: ${stderr}`)), 20_000);
    });
    return { display, process: xvfb };
  } catch (e) {
    await stop(xvfb);
    throw e;
  }
}

/** Resolves once the WebDriver server answers on `port`. */
async function driverReady(port, child, log) {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode}): ${log()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`WebKitWebDriver did not answer on port ${port}: ${log()}`);
}

/**
 * WebKitGTK's MiniBrowser by WebKitWebDriver, on its own Xvfb display. WebDriver
 * classic gives no console: uncaught errors and console.error calls are recorded from
 * `collectErrors()` on, which the test calls once the page has loaded.
 * `compositing: false` paints the page without WebKit's accelerated compositing: on this
 * machine that compositing runs on OpenGL emulated by the CPU (Mesa's llvmpipe), a cost
 * a computer with any GPU does not pay (BENCHMARKS.md, the three engines).
 */
export async function launchWebKit({ compositing = true } = {}) {
  const { Builder } = await import('selenium-webdriver');
  const xvfb = await startXvfb();
  let driverProcess, driver;
  const cleanup = async () => {
    if (driver) await Promise.race([driver.quit().catch(() => {}), sleep(10_000)]);
    await stop(driverProcess);
    await stop(xvfb.process);
  };
  try {
    const port = await freePort();
    driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: xvfb.display, ...(compositing ? {} : { WEBKIT_DISABLE_COMPOSITING_MODE: '1' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    track(driverProcess);
    let log = '';
    driverProcess.stdout.on('data', (d) => (log = (log + d).slice(-4000)));
    driverProcess.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
    await driverReady(port, driverProcess, () => log);
    driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      })
      .build();
    await driver.manage().setTimeouts({ script: 120_000, pageLoad: 120_000 });
    await driver.manage().window().setRect({ width: 1280, height: 900 }).catch(() => {});
    const caps = await driver.getCapabilities();
    // WebDriver "execute script" awaits a returned promise.
    const evaluateSource = (source) => driver.executeScript(`return (${source});`);
    return common(evaluateSource, {
      engine: 'WebKit',
      version: `WebKitGTK ${caps.get('browserVersion')}${compositing ? '' : ', compositing off'} (Debian libwebkit2gtk-4.1-0 ${debianVersion('libwebkit2gtk-4.1-0')}, webkit2gtk-driver ${debianVersion('webkit2gtk-driver')})`,
      async open(url) {
        await driver.get(url);
      },
      async errors() {
        return (await evaluateSource('window.__engineErrors ?? []')) ?? [];
      },
      async click(spec) {
        const el = await evaluateSource(inView(spec));
        await el.click();
      },
      /** Draws one stroke with the mouse through `points` (0..1 of the element's box). */
      async drag(selector, points) {
        const el = await evaluateSource(inView(selector));
        const rect = await el.getRect();
        // An element origin counts from the element's centre.
        const to = ([x, y]) => ({ origin: el, x: Math.round((x - 0.5) * rect.width), y: Math.round((y - 0.5) * rect.height) });
        let actions = driver.actions({ async: true }).move(to(points[0])).press();
        for (const p of points.slice(1)) actions = actions.move({ ...to(p), duration: 20 });
        await actions.release().perform();
      },
      async screenshot(path) {
        await writeFile(path, Buffer.from(await driver.takeScreenshot(), 'base64'));
      },
      close: cleanup,
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
}
