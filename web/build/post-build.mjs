// Trunk's post-build hook, in order: strip the wasm's names, stamp the WebGPU
// module's hash into the page's loader, add integrity and the CSP (lock.mjs), then list the final files for the service
// worker (its version hashes all of them).
import { stripNames } from './strip-wasm-names.mjs';
import { stampModules } from './stamp-modules.mjs';
import { lock } from './lock.mjs';
import { writePrecache } from './precache.mjs';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run by Trunk as a post_build hook (TRUNK_STAGING_DIR unset)');
// FLAMINGO_KEEP_NAMES=1 keeps them, for a CPU profile that names wasm functions.
if (!process.env.FLAMINGO_KEEP_NAMES) await stripNames(dir);
await stampModules(dir);
await lock(dir);
await writePrecache(dir);
