'use strict';
// Bad-value generators by argument kind, deep snapshots and comparison.
//
// A kind is a string: `num`, `num[0,1]`, `num(0,inf)`, `int[1,inf)`, `bool`, `str`, `fn`, `obj`, `arr`,
// `enum:a|b`, `f32`, `f32*` (any length), `u8` (mask), `i32`, `tensor`, `tensor2` (rank 2),
// `tensor|f32` (a tensor or a bare Float32Array), `opts` (an options object).
// A trailing `?` makes undefined valid. Each generator returns cases { label, make(valid), expect }:
//   'type' | 'range' | 'type|range'  the call must throw that class (message naming the argument),
//   'range|ok'    a RangeError naming the argument, or a normal return (zero sizes, -0),
//   'same'        the same result as the valid call (views at odd offsets, SharedArrayBuffer), or a
//                 TypeError naming the argument,
//   'nocrash'     NaN / Infinity contents: any result, or a TypeError / RangeError naming the argument,
//   'like0'       -0 behaves exactly like 0 (the same result, or the same error).
// `ref(valid)` gives the value a 'same' / 'like0' case is compared with (default: the valid value).

const TYPE_JUNK = [
  ['null', () => null], ['string', () => '1'], ['boolean', () => true], ['object', () => ({})],
  ['array', () => []], ['bigint', () => 1n], ['symbol', () => Symbol('x')], ['function', () => () => 1],
];

function parseRange(spec) {
  // "[0,1]" "(0,inf)" "[1,inf)"
  const m = /^([[(])\s*(-?[\w.e+-]+)\s*,\s*(-?[\w.e+-]+)\s*([\])])$/.exec(spec);
  if (!m) throw new Error(`bad range ${spec}`);
  const num = (s) => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
  return { lo: num(m[2]), hi: num(m[3]), loEx: m[1] === '(', hiEx: m[4] === ')' };
}

function detachedCopy(ta) {
  const copy = ta.slice();
  structuredClone(copy.buffer, { transfer: [copy.buffer] });
  return copy;
}

/** A copy of `ta` placed `offset` elements into a larger buffer (a view with a byte offset). */
function offsetView(ta, offset) {
  const C = ta.constructor;
  const big = new C(ta.length + offset + 3);
  big.set(ta, offset);
  return big.subarray(offset, offset + ta.length);
}

function sharedCopy(ta) {
  const C = ta.constructor;
  const out = new C(new SharedArrayBuffer(Math.max(1, ta.byteLength)), 0, ta.length);
  out.set(ta);
  return out;
}

const WRONG_KINDS = {
  Float32Array: [Float64Array, Int32Array, Uint8Array, Int8Array, Uint16Array],
  Uint8Array: [Int8Array, Uint8ClampedArray, Float32Array, Int32Array],
  Int8Array: [Uint8Array, Uint8ClampedArray, Int16Array, Float32Array],
  Int32Array: [Uint32Array, Float32Array, Int16Array, Float64Array],
};

function typedCases(C, fixedLength, elementsAreData, { arraysOk = false, alsoOk = [] } = {}) {
  const cases = [
    ...TYPE_JUNK.filter(([l]) => l !== 'array').map(([l, f]) => ({ label: l, make: f, expect: 'type' })),
  ];
  if (!arraysOk) cases.push({ label: 'plain array', make: (v) => Array.from(v), expect: 'type' });
  for (const W of WRONG_KINDS[C.name] || []) {
    if (alsoOk.includes(W)) continue;
    cases.push({ label: `${W.name} instead`, make: (v) => W.from(v, (x) => Number(x)), expect: 'type' });
  }
  cases.push({ label: 'detached buffer', make: (v) => detachedCopy(v), expect: 'type|range' });
  cases.push({ label: 'SharedArrayBuffer view', make: (v) => sharedCopy(v), expect: 'same' });
  cases.push({ label: 'view at offset 1', make: (v) => offsetView(v, 1), expect: 'same' });
  cases.push({ label: 'view at offset 3', make: (v) => offsetView(v, 3), expect: 'same' });
  if (fixedLength) {
    cases.push({ label: 'length + 1', make: (v) => { const o = new C(v.length + 1); o.set(v); return o; }, expect: 'range' });
    cases.push({ label: 'length - 1', make: (v) => v.slice(0, Math.max(0, v.length - 1)), expect: v => (v.length > 0 ? 'range' : null) });
  }
  cases.push({ label: 'empty', make: () => new C(0), expect: fixedLength ? 'range|ok' : 'range|ok' });
  if (elementsAreData && C === Float32Array) {
    cases.push({ label: 'NaN contents', make: (v) => v.map((x, i) => (i === 0 ? NaN : x)), expect: 'nocrash' });
    cases.push({ label: 'Infinity contents', make: (v) => v.map((x, i) => (i === 0 ? Infinity : x)), expect: 'nocrash' });
  }
  return cases;
}

function tensorCases(rank2, Tensor, allowF32) {
  const T = (data, shape) => new Tensor(data, shape);
  const duck = (v, shape) => ({ data: v.data, shape });
  const cases = TYPE_JUNK.map(([l, f]) => ({ label: l, make: f, expect: 'type' }));
  if (!allowF32) cases.push({ label: 'bare Float32Array', make: (v) => v.data.slice(), expect: 'type' });
  cases.push(
    { label: 'Float64Array data', make: (v) => ({ data: Float64Array.from(v.data), shape: [...v.shape] }), expect: 'type' },
    { label: 'array data', make: (v) => ({ data: Array.from(v.data), shape: [...v.shape] }), expect: 'type' },
    { label: 'string shape', make: (v) => ({ data: v.data.slice(), shape: 'x' }), expect: 'type' },
    { label: 'detached data', make: (v) => { const t = T(v.data.slice(), v.shape); structuredClone(t.data.buffer, { transfer: [t.data.buffer] }); return t; }, expect: 'type|range' },
    { label: 'data.length != numel(shape)', make: (v) => duck(v, [v.shape[0] + 1, ...v.shape.slice(1)]), expect: 'range' },
  );
  for (const [label, d] of [['NaN', NaN], ['-1', -1], ['1.5', 1.5], ['2^31', 2 ** 31], ['2^53', 2 ** 53], ['Infinity', Infinity], ['-0', -0]]) {
    cases.push({ label: `shape[0] = ${label}`, make: (v) => ({ data: v.data.slice(), shape: [d, ...v.shape.slice(1)] }), expect: label === '-0' ? 'range|ok' : 'range' });
  }
  cases.push({ label: 'shape [2^31, 2^31, 0]', make: () => ({ data: new Float32Array(0), shape: [2 ** 31 - 1, 2 ** 31 - 1, 0] }), expect: 'range|ok' });
  if (rank2) {
    cases.push({ label: 'rank 1', make: (v) => T(v.data.slice(), [v.data.length]), expect: 'range' });
    cases.push({ label: 'rank 3', make: (v) => T(v.data.slice(), [1, ...v.shape]), expect: 'range' });
  }
  cases.push({ label: 'zero rows', make: (v) => T(new Float32Array(0), [0, ...v.shape.slice(1)]), expect: 'range|ok' });
  if (v => v.shape.length > 1) cases.push({ label: 'zero columns', make: (v) => (v.shape.length > 1 ? T(new Float32Array(0), [v.shape[0], 0, ...v.shape.slice(2)]) : T(new Float32Array(0), [0])), expect: 'range|ok' });
  cases.push(
    { label: 'data view at offset 1', make: (v) => T(offsetView(v.data, 1), v.shape), expect: 'same' },
    { label: 'data view at offset 3', make: (v) => T(offsetView(v.data, 3), v.shape), expect: 'same' },
    { label: 'SharedArrayBuffer data', make: (v) => T(sharedCopy(v.data), v.shape), expect: 'same' },
    { label: 'NaN contents', make: (v) => T(v.data.map((x, i) => (i === 0 ? NaN : x)), v.shape), expect: 'nocrash' },
    { label: '-Infinity contents', make: (v) => T(v.data.map((x, i) => (i === v.data.length - 1 ? -Infinity : x)), v.shape), expect: 'nocrash' },
  );
  return cases;
}

function labelCases() {
  const junk = TYPE_JUNK.filter(([l]) => l !== 'array').map(([l, f]) => ({ label: l, make: f, expect: 'type' }));
  const withValue = (x) => (v) => { const a = Array.from(v); a[0] = x; return a; };
  return [
    ...junk,
    { label: 'Float64Array', make: (v) => Float64Array.from(v), expect: 'type' },
    { label: 'detached', make: (v) => detachedCopy(Int32Array.from(v)), expect: 'type|range' },
    { label: 'length + 1', make: (v) => [...Array.from(v), 0], expect: 'range' },
    { label: 'length - 1', make: (v) => Array.from(v).slice(1), expect: 'range' },
    { label: 'label -1', make: withValue(-1), expect: 'range' },
    { label: 'label 2^31', make: withValue(2 ** 31), expect: 'range' },
    { label: 'label 0.5', make: withValue(0.5), expect: 'range' },
    { label: 'label NaN', make: withValue(NaN), expect: 'range' },
    { label: 'label string', make: withValue('0'), expect: 'type' },
    { label: 'Int32Array view at offset 1', make: (v) => offsetView(Int32Array.from(v), 1), expect: 'same' },
  ];
}

function scalarCases(kind) {
  const junk = (skip = []) => TYPE_JUNK.filter(([l]) => !skip.includes(l)).map(([l, f]) => ({ label: l, make: f, expect: 'type' }));
  let m;
  if ((m = /^(num|int)(.*)$/.exec(kind))) {
    const isInt = m[1] === 'int';
    const cases = junk();
    cases.push({ label: 'numeric string', make: () => '2', expect: 'type' });
    for (const [l, x] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]) cases.push({ label: l, make: () => x, expect: 'range' });
    const r = m[2] ? parseRange(m[2]) : { lo: -Infinity, hi: Infinity };
    if (isInt) {
      cases.push({ label: 'fraction 1.5', make: () => 1.5, expect: 'range' });
      cases.push({ label: '2^53', make: () => 2 ** 53, expect: 'range' });
      cases.push({ label: '-2^53', make: () => -(2 ** 53), expect: 'range' });
      if (r.hi < 2 ** 31) cases.push({ label: '2^31', make: () => 2 ** 31, expect: 'range' });
      if (Number.isFinite(r.lo)) cases.push({ label: `${r.lo} - 1`, make: () => (r.loEx ? r.lo : r.lo - 1), expect: 'range' });
      if (Number.isFinite(r.hi)) cases.push({ label: `${r.hi} + 1`, make: () => (r.hiEx ? r.hi : r.hi + 1), expect: 'range' });
      if (r.lo < 0 || r.lo === 0) cases.push({ label: '-0', make: () => -0, ref: () => 0, expect: 'like0' });
    } else {
      if (Number.isFinite(r.lo)) {
        const below = r.loEx ? r.lo : r.lo - Math.max(1e-3, Math.abs(r.lo) * 1e-3);
        cases.push({ label: `below ${r.lo}`, make: () => below, expect: 'range' });
        if (r.lo === 0) cases.push({ label: '-0', make: () => -0, ref: () => 0, expect: 'like0' });
      }
      if (Number.isFinite(r.hi)) {
        const above = r.hiEx ? r.hi : r.hi + Math.max(1e-3, Math.abs(r.hi) * 1e-3);
        cases.push({ label: `above ${r.hi}`, make: () => above, expect: 'range' });
      }
      if (!Number.isFinite(r.lo) && !Number.isFinite(r.hi)) cases.push({ label: '-0', make: () => -0, ref: () => 0, expect: 'like0' });
    }
    return cases;
  }
  if (kind === 'bool') return [...junk(['boolean']), { label: 'number 1', make: () => 1, expect: 'type' }, { label: 'number 0', make: () => 0, expect: 'type' }, { label: "string 'true'", make: () => 'true', expect: 'type' }];
  if (kind === 'str') return [...junk(['string']), { label: 'number', make: () => 5, expect: 'type' }];
  if ((m = /^enum:(.*)$/.exec(kind))) {
    const first = m[1].split('|')[0];
    return [...junk(['string']), { label: 'number', make: () => 5, expect: 'type' },
      { label: 'unknown string', make: () => 'bogus', expect: 'range' }, { label: 'empty string', make: () => '', expect: 'range' },
      { label: 'upper-cased', make: () => first.toUpperCase(), expect: first.toUpperCase() === first ? null : 'range' }];
  }
  if (kind === 'fn') return [...junk(['function']), { label: 'number', make: () => 5, expect: 'type' }];
  if (kind === 'obj') {
    return [{ label: 'null', make: () => null, expect: 'type' }, { label: 'number', make: () => 5, expect: 'type' }, { label: 'string', make: () => 'x', expect: 'type' },
      { label: 'boolean', make: () => true, expect: 'type' }, { label: 'empty object', make: () => ({}), expect: 'type|range' },
      { label: 'object with junk fields', make: () => ({ data: 'x', shape: 5, layers: 7, weight: {}, params: 3 }), expect: 'type|range' }];
  }
  if (kind === 'arr') {
    return [...junk(['array']), { label: 'number', make: () => 5, expect: 'type' }, { label: 'typed array', make: () => new Float64Array(2), expect: 'type' },
      { label: 'array of strings', make: () => ['x', 'y'], expect: 'type|range' }, { label: 'array of objects', make: () => [{}, {}], expect: 'type|range' }];
  }
  if (kind === 'opts') return [{ label: 'null', make: () => null, expect: 'type' }, { label: 'number', make: () => 5, expect: 'type' }, { label: 'string', make: () => 'x', expect: 'type' }, { label: 'boolean', make: () => true, expect: 'type' }, { label: 'array', make: () => [], expect: 'type' }];
  return null;
}

/** Cases for one argument of kind `kind`; `Tensor` is the package's Tensor class. */
function casesFor(kind, Tensor) {
  const optional = kind.endsWith('?');
  let k = optional ? kind.slice(0, -1) : kind;
  const nullOk = k.endsWith('|null');
  if (nullOk) k = k.slice(0, -5);
  let cases;
  if (k === 'tensor' || k === 'tensor2' || k === 'tensor|f32' || k === 'tensor2|f32') cases = tensorCases(k.startsWith('tensor2'), Tensor, k.endsWith('|f32'));
  else if (k === 'f32') cases = typedCases(Float32Array, true, true);
  else if (k === 'f32*') cases = typedCases(Float32Array, false, true);
  else if (k === 'u8') cases = typedCases(Uint8Array, true, false);
  else if (k === 'u8|i8') cases = typedCases(Uint8Array, true, false, { alsoOk: [Int8Array] });
  else if (k === 'i32') cases = typedCases(Int32Array, true, false);
  else if (k === 'f32|arr') cases = typedCases(Float32Array, true, false, { arraysOk: true });
  else if (k === 'i32|arr') cases = typedCases(Int32Array, true, false, { arraysOk: true });
  else if (k === 'labels') cases = labelCases();
  else if (k === 'any') cases = [];
  else cases = scalarCases(k);
  if (!cases) throw new Error(`unknown argument kind ${kind}`);
  if (!optional && k !== 'any') cases.unshift({ label: 'undefined', make: () => undefined, expect: 'type' });
  return nullOk ? cases.filter((c) => c.label !== 'null') : cases;
}

// ---- deep snapshots (to prove that a throwing call left its inputs and `this` unchanged) ----

function snapshot(value, seen = new Map(), depth = 0) {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? { fn: value } : { v: value };
  if (seen.has(value)) return { ref: seen.get(value) };
  const id = seen.size;
  seen.set(value, id);
  if (ArrayBuffer.isView(value)) {
    let detached = false;
    try { detached = value.buffer.detached === true || (value.byteLength === 0 && value.buffer.byteLength === 0 && value.length === 0); } catch { detached = true; }
    return { ta: value.constructor.name, vals: detached ? 'detached' : Array.from(value, (x) => (typeof x === 'bigint' ? String(x) : x)) };
  }
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return { ab: Array.from(new Uint8Array(value.slice(0))) };
  }
  if (depth > 8) return { deep: true };
  if (value instanceof Map) return { map: [...value.entries()].map(([k, v]) => [snapshot(k, seen, depth + 1), snapshot(v, seen, depth + 1)]) };
  if (value instanceof Set) return { set: [...value].map((v) => snapshot(v, seen, depth + 1)) };
  if (Array.isArray(value)) return { arr: value.map((v) => snapshot(v, seen, depth + 1)) };
  const out = { cls: value.constructor ? value.constructor.name : null, props: {} };
  for (const key of Object.keys(value)) out.props[key] = snapshot(value[key], seen, depth + 1);
  return out;
}

/** First path where two snapshots differ, or null. */
function diff(a, b, path = '') {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b) ? null : path || '(value)';
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return path || '(shape)';
  for (const k of ka) {
    if (!(k in b)) return `${path}.${k}`;
    if (k === 'fn') { if (a.fn !== b.fn) return path; continue; }
    const va = a[k], vb = b[k];
    if (typeof va === 'number' || typeof vb === 'number') {
      // 0 and -0 compare equal (a -0 stored for a 0 argument is the same number)
      if (va !== vb && !(Number.isNaN(va) && Number.isNaN(vb))) return `${path}.${k}`;
      continue;
    }
    const d = diff(va, vb, k === 'props' || k === 'vals' || k === 'arr' ? path : `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function dropKeys(snap, keys) {
  if (keys.length === 0) return snap;
  if (!snap || typeof snap !== 'object') return snap;
  if (Array.isArray(snap)) return snap.map((x) => dropKeys(x, keys));
  const out = {};
  for (const [k, v] of Object.entries(snap)) {
    if (k === 'props') {
      out.props = {};
      for (const [pk, pv] of Object.entries(v)) if (!keys.includes(pk)) out.props[pk] = dropKeys(pv, keys);
    } else out[k] = dropKeys(v, keys);
  }
  return out;
}

/**
 * Structural comparison of two call results by value (typed arrays element-wise, NaN == NaN),
 * ignoring properties named in `ignore` (timings).
 */
function sameResult(a, b, ignore = []) {
  return diff(dropKeys(snapshot(a), ignore), dropKeys(snapshot(b), ignore)) === null;
}

module.exports = { casesFor, snapshot, diff, dropKeys, sameResult, offsetView, sharedCopy, detachedCopy };
