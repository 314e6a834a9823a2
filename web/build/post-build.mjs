// Trunk's post-build hook, in order: strip the wasm's names, then list the final
// files for the service worker (its version hashes the stripped wasm).
import { stripNames } from './strip-wasm-names.mjs';
import { writePrecache } from './precache.mjs';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run by Trunk as a post_build hook (TRUNK_STAGING_DIR unset)');
await stripNames(dir);
await writePrecache(dir);
