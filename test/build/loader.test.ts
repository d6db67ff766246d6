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

function run(cwd: string, code: string) {
  return spawnNodeSync(['-e', code], { cwd });
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
