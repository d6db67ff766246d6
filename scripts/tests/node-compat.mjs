// Preloaded (`node --import`) into the armv7 Node of the emulated runs: the newest armv7 build of
// Node 20 on npm is 20.11.0, which lacks util.styleText and util.parseEnv (Node >= 20.12), and
// vite/vitest import them. Imports of `node:util` then get node-compat-util.mjs: the real module
// plus those two exports. Nothing changes on a Node that has them.
import { register } from 'node:module';
import * as util from 'node:util';

if (typeof util.styleText !== 'function' || typeof util.parseEnv !== 'function') {
  register(new URL('./node-compat-hooks.mjs', import.meta.url));
}
