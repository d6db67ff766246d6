import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnNodeSync } from '../helpers/node';

const root = path.join(__dirname, '..', '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-loader-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A copy of the package as npm would install it, without build/ (and optionally without prebuilds/).
function stage(name: string, withPrebuilds: boolean): string {
  const dir = path.join(tmp, name, 'node_modules', 'nnslim');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  if (withPrebuilds) fs.cpSync(path.join(root, 'prebuilds'), path.join(dir, 'prebuilds'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(tmp, name, 'node_modules', 'node-gyp-build'));
  return path.join(tmp, name);
}

// Without NNSLIM_ADDON_PATH (set by the sanitized run): these tests are about node-gyp-build's search.
function run(cwd: string, code: string) {
  return spawnNodeSync(['-e', code], { cwd, env: { ...process.env, NNSLIM_ADDON_PATH: '' } });
}

describe('addon loading', () => {
  it.runIf(fs.existsSync(prebuildDir))('loads prebuilds/<platform>-<arch> when there is no local build', () => {
    const cwd = stage('with-prebuild', true);
    const r = run(cwd, "const n = require('nnslim'); const p = require('node-gyp-build').path(require.resolve('nnslim/package.json').replace(/package.json$/, '')); console.log(JSON.stringify({ isa: n.cpuInfo().isa, p }))");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.p).toContain(path.join('prebuilds', `${process.platform}-${process.arch}`));
    expect(typeof out.isa).toBe('string');
  });

  it('says what was tried and how to fix it when no addon can be loaded', () => {
    const cwd = stage('no-addon', false);
    const r = run(cwd, "try { require('nnslim') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_NNSLIM_LOAD');
    expect(out.message).toMatch(/Tried:/);
    expect(out.message).toMatch(/prebuilds/);
    expect(out.message).toMatch(/npm rebuild nnslim/);
    expect(out.message).toMatch(/no JavaScript fallback/);
  });

  it('rejects an out-of-date addon that lacks functions the TypeScript layer calls', () => {
    // A stand-in for node-gyp-build that loads the real addon and hides two of its functions.
    const cwd = path.join(tmp, 'stale-addon');
    const dir = path.join(cwd, 'node_modules', 'nnslim');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
    fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
    const fake = path.join(cwd, 'node_modules', 'node-gyp-build');
    fs.mkdirSync(fake, { recursive: true });
    const real = JSON.stringify(path.join(root, 'node_modules', 'node-gyp-build'));
    fs.writeFileSync(path.join(fake, 'index.js'),
      `module.exports = () => { const a = { ...require(${real})(${JSON.stringify(root)}) }; delete a.spmm; delete a.qgemmAsync; return a; };\n`);
    const r = run(cwd, "try { require('nnslim'); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_NNSLIM_LOAD');
    expect(out.message).toMatch(/out of date: it lacks spmm, qgemmAsync/);
    expect(out.message).toMatch(/npm rebuild nnslim/);
  });
});

describe('NNSLIM_ADDON_PATH', () => {
  const built = path.join(root, 'build', 'Release', 'nnslim.node');
  it.runIf(fs.existsSync(built))('loads the .node file it names instead of searching', () => {
    const cwd = stage('override', false);
    const r = spawnNodeSync(['-e', "console.log(require('nnslim').cpuInfo().isa)"], { cwd, env: { ...process.env, NNSLIM_ADDON_PATH: built } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\w+$/);
  });

  it('names the file it tried when that file does not load', () => {
    const cwd = stage('override-missing', false);
    const missing = path.join(tmp, 'missing', 'nnslim.node');
    const r = spawnNodeSync(['-e', "try { require('nnslim') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }"],
      { cwd, env: { ...process.env, NNSLIM_ADDON_PATH: missing } });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('ERR_NNSLIM_LOAD');
    expect(out.message).toContain(`${missing} (NNSLIM_ADDON_PATH)`);
  });
});

describe('cmake-js build', () => {
  const cmakeAddon = path.join(root, 'build-cmakejs', 'Release', 'nnslim.node');
  // Built for the host: an emulated run of the suite for another architecture cannot load it.
  const elfMachine: Record<string, number> = { x64: 62, arm64: 183, arm: 40 };
  const sameArch = fs.existsSync(cmakeAddon) && fs.readFileSync(cmakeAddon).readUInt16LE(18) === elfMachine[process.arch];
  it.runIf(sameArch)('CMakeLists.txt builds the same addon (loads, computes, reports kernels)', () => {
    const r = spawnNodeSync(['-e', `
      const a = require(${JSON.stringify(cmakeAddon)});
      const c = new Float32Array(4);
      a.sgemm(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 1]), c, null, 2, 2, 2, 2, 2, 2, false, false, 1, 0, false);
      console.log(JSON.stringify({ c: Array.from(c), kernels: a.cpuInfo().kernels }));`]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.c).toEqual([1, 2, 3, 4]);
    expect(Object.keys(out.kernels)).toContain('sgemm');
  });
});
