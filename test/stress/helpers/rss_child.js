// One leak run, in its own process (started with --expose-gc):
//   node --expose-gc rss_child.js <family> <syncCalls> <asyncCalls> [leakBytesPerCall]
// Warms up, forces GC, records RSS, makes the calls (async ones 64 in flight, with GC forced
// while they are pending), forces GC again and prints one JSON line with both RSS readings.
// leakBytesPerCall > 0 keeps that much JS memory per call alive: the control run that shows
// the measurement does see a leak.
'use strict';
const path = require('node:path');
const { native } = require(path.join(__dirname, '..', '..', '..', 'dist', 'native.js'));
const { tinyFamilies } = require('./families.js');

const [family, syncArg, asyncArg, leakArg] = process.argv.slice(2);
const syncCalls = Number(syncArg), asyncCalls = Number(asyncArg), leakBytes = Number(leakArg || 0);
const fam = tinyFamilies(native)[family];
if (!fam) throw new Error(`unknown family ${family}`);
if (typeof gc !== 'function') throw new Error('run with --expose-gc');

const kept = [];
const inFlight = 64;

async function settle() {
  for (let i = 0; i < 4; i++) {
    gc();
    // finalizers of native objects run from the event loop after a GC
    await new Promise((r) => setImmediate(r));
  }
}

async function runAsync(count, offset) {
  for (let i = 0; i < count; i += inFlight) {
    const batch = [];
    for (let j = 0; j < inFlight && i + j < count; j++) batch.push(fam.async(offset + i + j));
    if ((i / inFlight) % 64 === 0) gc(); // a full GC while this batch is pending
    await Promise.all(batch);
  }
}

// Yields to the event loop every 1000 calls, as any Node program does: Node runs the
// finalizers of collected native objects (packed weights) from the loop, not inside GC.
async function runSync(count, offset) {
  for (let i = 0; i < count; i++) {
    fam.sync(offset + i);
    if (leakBytes) kept.push(new Uint8Array(leakBytes));
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
}

(async () => {
  // Warm-up: JIT, allocator arenas of the libuv threads, the kernels' pool.
  await runSync(Math.min(syncCalls, 50000), 0);
  if (fam.async && asyncCalls) await runAsync(Math.min(asyncCalls, 5000), 0);
  kept.length = 0;
  await settle();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  await runSync(syncCalls, 1);
  const tSync = Number(process.hrtime.bigint() - t0) / 1e9;
  const t1 = process.hrtime.bigint();
  if (fam.async && asyncCalls) await runAsync(asyncCalls, 1);
  const tAsync = Number(process.hrtime.bigint() - t1) / 1e9;
  await settle();
  const after = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({
    family, syncCalls, asyncCalls: fam.async ? asyncCalls : 0, kept: kept.length,
    rssBefore: before.rss, rssAfter: after.rss, externalBefore: before.external, externalAfter: after.external,
    heapBefore: before.heapUsed, heapAfter: after.heapUsed, syncSeconds: tSync, asyncSeconds: tAsync,
  })}\n`);
})().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
