'use strict';
// How busy the machine is apart from the benchmark: aggregate CPU time from /proc/stat, a wait
// for a quiet moment before each trial, and the CPU time others used while a trial ran.
const fs = require('node:fs');

const CLK_TCK = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux

/** Parses the aggregate "cpu" line of /proc/stat: `{ busy, total }` in jiffies; null if absent. */
function parseProcStat(text) {
  const line = String(text).split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
  const idle = (v[3] || 0) + (v[4] || 0);
  return { busy: total - idle, total };
}

function sample() {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/** CPUs kept busy between two samples (0 .. logical CPUs), from busy jiffies over elapsed ms. */
function busyCpus(before, after, elapsedMs) {
  if (!before || !after || elapsedMs <= 0) return NaN;
  return (after.busy - before.busy) / CLK_TCK / (elapsedMs / 1000);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until fewer than `threshold` CPUs are busy over a 200 ms window, at most `maxWaitMs`.
 * Returns `{ waitedMs, busy }` (busy: CPUs busy in the last window; NaN without /proc/stat).
 */
async function waitForQuiet({ threshold = 0.3, maxWaitMs = 3000, windowMs = 200 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const a = sample();
    const ta = Date.now();
    await sleep(windowMs);
    const busy = busyCpus(a, sample(), Date.now() - ta);
    if (!(busy >= threshold) || Date.now() - t0 >= maxWaitMs) return { waitedMs: Date.now() - t0, busy };
  }
}

/** Starts a measurement; `.stop(childCpuMs)` returns the CPUs others kept busy meanwhile (average). */
function foreignLoad() {
  const before = sample();
  const t0 = Date.now();
  return {
    stop(childCpuMs) {
      const elapsed = Date.now() - t0;
      const total = busyCpus(before, sample(), elapsed);
      if (!Number.isFinite(total) || !Number.isFinite(childCpuMs)) return NaN;
      return Math.max(0, total - childCpuMs / elapsed);
    },
  };
}

module.exports = { parseProcStat, busyCpus, waitForQuiet, foreignLoad };
