// Lifetime of the buffers of async calls: GC forced while calls of every family are in flight
// (their arguments referenced only by the pending calls), and buffers transferred or detached
// while a call is pending (no crash: not detached, or a clear rejection).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { native, type NativeAddon } from '../../lib/native';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mixedKernels, randf } = require('./helpers/families.js') as {
  mixedKernels(a: NativeAddon, seed: number): Promise<Record<string, ArrayLike<number>>>;
  randf(n: number, seed: number): Float32Array;
};

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const n = 256;
function bigSgemm(a: Float32Array, b: Float32Array, c: Float32Array, A: NativeAddon = native) {
  return A.sgemmAsync(a, b, c, null, n, n, n, n, n, n, false, false, 1, 0, false);
}
function refSgemm(a: Float32Array, b: Float32Array) {
  const c = new Float32Array(n * n);
  native.sgemm(a, b, c, null, n, n, n, n, n, n, false, false, 1, 0, false);
  return c;
}

describe('GC while async calls are in flight', () => {
  it('every family: 6 rounds of mixed calls, GC forced while they are pending, results unchanged', async () => {
    const ref = await mixedKernels(native, 7);
    for (let round = 0; round < 6; round++) {
      // mixedKernels builds its inputs inside: the pending async calls hold the only references.
      const pending = [mixedKernels(native, 7), mixedKernels(native, 7), mixedKernels(native, 7)];
      for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setImmediate(r)); }
      for (const got of await Promise.all(pending)) {
        for (const key of Object.keys(ref)) expect(Array.from(got[key]), key).toEqual(Array.from(ref[key]));
      }
    }
  });
});

describe('a buffer transferred while its async call is pending', () => {
  it('structuredClone with the buffer in the transfer list does not detach it (pinned)', async () => {
    const a = randf(n * n, 1), b = randf(n * n, 2), c = new Float32Array(n * n);
    const expected = refSgemm(a, b);
    const p = bigSgemm(a, b, c);
    for (const buf of [a.buffer, b.buffer, c.buffer]) {
      try {
        structuredClone(buf, { transfer: [buf] }); // Node 20: copied; Node >= 21: DataCloneError
      } catch (e) {
        expect((e as Error).name).toBe('DataCloneError');
      }
      expect(buf.byteLength).toBe(n * n * 4);
    }
    const y = await p;
    expect(y).toBe(c);
    expect(Array.from(y)).toEqual(Array.from(expected));
  });

  it('postMessage to a worker with the pending output in the transfer list does not detach it', async () => {
    const a = randf(n * n, 3), b = randf(n * n, 4), c = new Float32Array(n * n);
    const expected = refSgemm(a, b);
    const w = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.once("message", (m) => parentPort.postMessage(m.byteLength));', { eval: true });
    try {
      const p = bigSgemm(a, b, c);
      let posted = true;
      try {
        w.postMessage(c.buffer, [c.buffer]);
      } catch (e) {
        expect((e as Error).name).toBe('DataCloneError');
        posted = false;
      }
      expect(c.buffer.byteLength).toBe(n * n * 4);
      if (posted) expect(await new Promise((r) => w.once('message', r))).toBe(n * n * 4); // a copy arrived
      expect(Array.from(await p)).toEqual(Array.from(expected));
    } finally {
      await w.terminate();
    }
  });

  // Node >= 22: ArrayBuffer.prototype.transfer() ignores the untransferable mark. Memory-safe
  // only while the new buffer stays referenced (see SECURITY.md); the call must reject.
  it.runIf(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function')('ArrayBuffer.prototype.transfer() on a pending output: rejects with ERR_NNSLIM_DETACHED', async () => {
    const a = randf(n * n, 7), b = randf(n * n, 8), c = new Float32Array(n * n);
    const p = bigSgemm(a, b, c);
    const moved = (c.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer();
    await expect(p).rejects.toMatchObject({ code: 'ERR_NNSLIM_DETACHED', message: expect.stringMatching(/buffer of out was detached/) });
    expect(moved.byteLength).toBe(n * n * 4);
  });

  it('the binding rejects with ERR_NNSLIM_DETACHED when a buffer is detached anyway', async () => {
    // The addon's own functions, without the untransferable marking of lib/native.ts: a second
    // instance of the module, loaded straight from the .node file.
    const file = process.env.NNSLIM_ADDON_PATH || (require('node-gyp-build') as { path(d: string): string }).path(path.join(__dirname, '..', '..'));
    const mod = { exports: {} as NativeAddon };
    process.dlopen(mod, path.resolve(file));
    const raw = mod.exports;
    const a = randf(n * n, 5), b = randf(n * n, 6);
    for (const victim of ['a', 'out'] as const) {
      const a2 = a.slice(), c = new Float32Array(n * n);
      const p = bigSgemm(a2, b, c, raw);
      const t = victim === 'a' ? a2 : c;
      // The clone now owns the memory the kernel uses; it stays referenced until the call settles.
      const clone = structuredClone(t.buffer, { transfer: [t.buffer] });
      expect(t.byteLength).toBe(0);
      await expect(p).rejects.toMatchObject({ code: 'ERR_NNSLIM_DETACHED', message: expect.stringMatching(new RegExp(`buffer of ${victim} was detached`)) });
      expect(clone.byteLength).toBe(n * n * 4);
    }
    // and the detached argument is refused up front on the next call
    const d = new Float32Array(4);
    structuredClone(d.buffer, { transfer: [d.buffer] });
    expect(() => raw.sgemmAsync(d, d, new Float32Array(4), null, 2, 2, 2, 2, 2, 2, false, false, 1, 0, false)).toThrow(/detached|shorter/);
  });
});
