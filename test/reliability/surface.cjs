'use strict';
// Enumerates the public, callable surface of the built package: functions, constructors,
// static methods and (own and inherited) prototype methods, by export path:
//   `matmul`, `nn.Linear` (constructor), `nn.Linear#forward`, `nn.QuantizedLinear.fromFloat`.

function isClass(fn) {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

// Members TypeScript declares private or protected (from the emitted .d.ts files), by class name:
// they exist at run time but are not public API.
function hiddenMembers(distDir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const hidden = new Map();
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) {
        let cls = null;
        for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
          const c = /^(?:export )?(?:declare )?(?:abstract )?class (\w+)/.exec(line);
          if (c) { cls = c[1]; if (!hidden.has(cls)) hidden.set(cls, new Set()); continue; }
          if (/^}/.test(line)) { cls = null; continue; }
          const m = cls && /^    (?:private|protected)(?: static| abstract| readonly)* (\w+)/.exec(line);
          if (m) hidden.get(cls).add(m[1]);
        }
      }
    }
  })(distDir);
  return hidden;
}

function isHidden(hidden, cls, name) {
  for (let c = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const h = hidden.get(c.name);
    if (h && h.has(name)) return true;
  }
  return false;
}

function protoMethods(cls, hidden) {
  const names = new Set();
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor' || isHidden(hidden, cls, name)) continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

function staticMethods(cls, hidden) {
  const names = new Set();
  for (let c = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    for (const name of Object.getOwnPropertyNames(c)) {
      if (['length', 'name', 'prototype'].includes(name) || isHidden(hidden, cls, name)) continue;
      const d = Object.getOwnPropertyDescriptor(c, name);
      if (typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * Every public callable export path of `root` (the package's exports), sorted. Constructors that
 * TypeScript declares private or protected (abstract bases, internal handles) are left out, as are
 * private / protected members; `distDir` holds the emitted .d.ts files.
 */
function enumerate(root, distDir) {
  const hidden = hiddenMembers(distDir);
  const out = [];
  const seen = new Set();
  (function walk(obj, prefix) {
    if (seen.has(obj)) return;
    seen.add(obj);
    for (const key of Object.keys(obj).sort()) {
      if (key === 'default' || key === '__esModule') continue;
      const v = obj[key];
      const p = prefix ? `${prefix}.${key}` : key;
      if (isClass(v)) {
        if (!(hidden.get(v.name) || new Set()).has('constructor')) out.push(p);
        for (const m of staticMethods(v, hidden)) out.push(`${p}.${m}`);
        for (const m of protoMethods(v, hidden)) out.push(`${p}#${m}`);
      } else if (typeof v === 'function') {
        out.push(p);
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
        walk(v, p);
      }
    }
  })(root, '');
  return out.sort();
}

/** Resolves an export path to { kind, fn, cls, name }. */
function resolve(root, path) {
  const m = /^(.*?)(?:([#.])([A-Za-z_$][\w$]*))?$/.exec(path);
  const parts = path.split('#')[0].split('.');
  let obj = root;
  for (const part of parts) {
    if (obj === undefined || obj === null) return undefined;
    obj = obj[part];
  }
  if (path.includes('#')) {
    const name = path.split('#')[1];
    if (!isClass(obj) || typeof obj.prototype[name] !== 'function') return undefined;
    return { kind: 'method', cls: obj, name, fn: obj.prototype[name] };
  }
  void m;
  if (isClass(obj)) return { kind: 'constructor', cls: obj, fn: obj };
  // a static method: the parent is a class
  const parentPath = parts.slice(0, -1);
  let parent = root;
  for (const part of parentPath) parent = parent && parent[part];
  if (typeof obj !== 'function') return undefined;
  if (isClass(parent)) return { kind: 'static', cls: parent, name: parts[parts.length - 1], fn: obj };
  return { kind: 'function', fn: obj };
}

module.exports = { enumerate, resolve, isClass };
