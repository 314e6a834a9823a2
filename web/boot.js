// Runs before the page's module: says so in words when this browser cannot run it,
// instead of leaving a blank page, and registers the service worker (web/sw.js) once
// the page has drawn.
// A file, not an inline script: the Content-Security-Policy allows no inline code
// but Trunk's loader, by its hash.
(function () {
  'use strict';
  var shown = false;
  function say(text) {
    if (shown) return;
    shown = true;
    var box = document.getElementById('boot-message');
    box.textContent = text;
    box.hidden = false;
  }
  // The smallest module using a 128-bit SIMD instruction (i8x16.splat), as
  // wasm-feature-detect writes it: the page's wasm is compiled with simd128.
  var simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  var hasWasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  if (!hasWasm) {
    say('This browser cannot run WebAssembly, which this page computes with. Please open it in a current Chrome, Edge, Firefox or Safari.');
  } else if (!WebAssembly.validate(simd)) {
    say('This browser runs WebAssembly but not its SIMD instructions (fixed-width vectors), which this page needs. Chrome 91+, Firefox 89+ and Safari 16.4+ have them; please update the browser or open the page in another one.');
  }
  // Anything that stops the page's program before it draws (a file that failed its
  // integrity check, a module the browser refused) ends here, not in a blank page.
  function failed(reason) {
    if (document.querySelector('main')) return;
    say('The page could not start: ' + reason + '. Reloading may help; if it does not, the files on the server may be damaged or mixed from two versions.');
  }
  window.addEventListener('unhandledrejection', function (e) {
    failed(String((e.reason && e.reason.message) || e.reason));
  });
  window.addEventListener('error', function (e) {
    failed(e.message || 'a script failed to load');
  }, true);
  // plotters measures text with a span whose `style` attribute sets the font
  // (plotters' web font backend); the CSP blocks style attributes ('unsafe-inline'),
  // which would measure every label in the page's font instead. The CSS object model
  // is allowed, so a style attribute is applied through it, declaration by declaration.
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (String(name).toLowerCase() !== 'style' || !this.style) return setAttribute.call(this, name, value);
    this.style.cssText = '';
    String(value).split(';').forEach(function (declaration) {
      var colon = declaration.indexOf(':');
      if (colon > 0) this.style.setProperty(declaration.slice(0, colon).trim(), declaration.slice(colon + 1).trim());
    }, this);
  };
  // The service worker fetches every file of the page again, to keep them for a visit
  // with no network; on a first visit that competed with the page's own start (the first
  // caption about 70 ms later on two cores), and with a drag begun just after it (its
  // first steps, BENCHMARKS.md). So it is registered once the page says it has rested: its
  // `flamingo-rested` event, a second untouched after its first frame, by the page's own
  // count of touches (crates/app/src/page/touch.rs). A page that has not drawn in 10 s
  // has it registered then.
  if (!shown && 'serviceWorker' in navigator) {
    var registered = false;
    var drawn = false;
    var register = function () {
      if (registered) return;
      registered = true;
      navigator.serviceWorker.register('sw.js').catch(function () {});
    };
    document.addEventListener('flamingo-rested', register, { once: true });
    document.addEventListener('flamingo-drawn', function () { drawn = true; }, { once: true });
    setTimeout(function () {
      if (!drawn) register();
    }, 10000);
  }
})();
