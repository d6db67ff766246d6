'use strict';
// What machine a benchmark ran on: /proc/cpuinfo (parsed by a pure function), caches from
// sysfs, Node and OS versions.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SIMD_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni',
  'avx_vnni', 'avx512_bf16', 'amx_tile', 'asimd', 'asimddp', 'i8mm', 'sve', 'bf16'];

/**
 * Parses the text of /proc/cpuinfo: `{ model, vendor, family, modelNumber, stepping, mhz,
 * flags, logicalCpus, hypervisor }`. Works for x86 ("model name", "flags") and ARM
 * ("CPU implementer", "CPU part", "Features") layouts; missing fields are null.
 */
function parseCpuinfo(text) {
  const blocks = String(text).split(/\n\s*\n/).filter((b) => b.trim() !== '');
  const fields = blocks.map((b) => {
    const o = {};
    for (const line of b.split('\n')) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const key = line.slice(0, i).trim().toLowerCase();
      if (!(key in o)) o[key] = line.slice(i + 1).trim();
    }
    return o;
  });
  const cpus = fields.filter((f) => 'processor' in f);
  const first = cpus[0] || fields[0] || {};
  const all = Object.assign({}, ...fields.slice().reverse());
  const get = (k) => (first[k] !== undefined && first[k] !== '' ? first[k] : all[k] !== undefined && all[k] !== '' ? all[k] : null);
  const flags = (get('flags') || get('features') || '').split(/\s+/).filter(Boolean);
  let model = get('model name') || get('hardware') || null;
  if (!model && get('cpu implementer')) model = `ARM implementer ${get('cpu implementer')} part ${get('cpu part')}`;
  const num = (v) => (v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v));
  return {
    model,
    vendor: get('vendor_id') || get('cpu implementer'),
    family: num(get('cpu family')),
    modelNumber: get('cpu family') !== null ? num(get('model')) : null,
    stepping: num(get('stepping')),
    mhz: num(get('cpu mhz')),
    flags,
    logicalCpus: cpus.length || null,
    hypervisor: flags.includes('hypervisor'),
  };
}

/** Short one-line description of a parsed cpuinfo plus extras (cores, caches). */
function describeCpu(info, extra = {}) {
  const parts = [info.model || 'unknown CPU'];
  const ids = [];
  if (info.family !== null) ids.push(`family ${info.family}`);
  if (info.modelNumber !== null) ids.push(`model ${info.modelNumber}`);
  if (info.stepping !== null) ids.push(`stepping ${info.stepping}`);
  if (ids.length) parts.push(`(${ids.join(', ')})`);
  const tail = [];
  if (extra.cpus) tail.push(`${extra.cpus} logical CPU${extra.cpus === 1 ? '' : 's'}`);
  if (info.mhz) tail.push(`${Math.round(info.mhz)} MHz`);
  if (extra.caches) tail.push(extra.caches);
  if (info.hypervisor) tail.push('virtual machine');
  return `${parts.join(' ')}${tail.length ? `, ${tail.join(', ')}` : ''}`;
}

/** The SIMD-relevant subset of the flags, in a fixed order. */
function simdFlags(flags) {
  const set = new Set(flags);
  return SIMD_FLAGS.filter((f) => set.has(f));
}

/** "1024K" -> "1 MiB", "48K" -> "48 KiB" (sysfs cache sizes). */
function formatCacheSize(text) {
  const m = /^(\d+)\s*([KMG]?)/i.exec(String(text).trim());
  if (!m) return String(text);
  let kib = Number(m[1]) * ({ '': 1 / 1024, K: 1, M: 1024, G: 1024 * 1024 })[m[2].toUpperCase()];
  for (const unit of ['KiB', 'MiB', 'GiB']) {
    if (kib < 1024 || kib % 1024 !== 0 || unit === 'GiB') return `${kib} ${unit}`;
    kib /= 1024;
  }
  return String(text);
}

/** Caches of cpu0 from sysfs, e.g. "L1d 32 KiB, L2 1 MiB, L3 32 MiB"; '' when unavailable. */
function readCaches(root = '/sys/devices/system/cpu/cpu0/cache') {
  try {
    const out = [];
    for (const dir of fs.readdirSync(root).filter((d) => d.startsWith('index')).sort()) {
      const read = (f) => fs.readFileSync(path.join(root, dir, f), 'utf8').trim();
      const type = read('type');
      if (type === 'Instruction') continue;
      const level = read('level');
      const size = formatCacheSize(read('size'));
      out.push(`L${level}${type === 'Data' ? 'd' : ''} ${size}`);
    }
    return out.join(', ');
  } catch {
    return '';
  }
}

/** Everything the report says about the machine. */
function machine() {
  let info;
  try {
    info = parseCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    info = parseCpuinfo(`model name: ${os.cpus()[0] ? os.cpus()[0].model : 'unknown'}`);
  }
  const cpus = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const caches = readCaches();
  return {
    cpu: info,
    description: describeCpu(info, { cpus, caches }),
    simd: simdFlags(info.flags),
    cpus,
    node: process.version,
    os: `${os.type()} ${os.release()} ${process.arch}`,
  };
}

module.exports = { parseCpuinfo, describeCpu, simdFlags, formatCacheSize, readCaches, machine };
