import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const sources = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8'));

function walk(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(rel, ext));
    else if (ext.test(e.name)) out.push(rel);
  }
  return out;
}

function parseGyp(): { targets: Array<Record<string, unknown>>; conditions: unknown[] } {
  const text = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')
    .split('\n').filter((l) => !l.trim().startsWith('#')).join('\n')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(text);
}

describe('one source list for both build files', () => {
  // One list per target architecture: the ISA-free sources plus that architecture's groups. A
  // NEON source may serve two architectures (arm64 and armv7), but only once in each.
  const perArch = Object.values(sources.isa as Record<string, Record<string, { sources: string[] }>>)
    .map((groups) => [...sources.kernels, ...sources.binding, ...Object.values(groups).flatMap((g) => g.sources)]);

  it('every native source file is listed exactly once per architecture, and every listed file exists', () => {
    const onDisk = [...walk('native/src', /\.cc$/), ...walk('native/binding', /\.cc$/)].sort();
    expect([...new Set(perArch.flat())].sort()).toEqual(onDisk);
    for (const listed of perArch) expect(new Set(listed).size).toBe(listed.length);
    for (const f of sources.tests) expect(fs.existsSync(path.join(root, f))).toBe(true);
    expect([...sources.tests].sort()).toEqual(walk('test/native', /\.cc$/).sort());
  });

  it('binding.gyp builds every group of sources.json with its flags', () => {
    const gyp = parseGyp();
    const text = JSON.stringify(gyp);
    expect(text).toContain('<(src).kernels.join');
    expect(text).toContain('<(src).binding.join');
    const gypArch: Record<string, string> = { x64: 'x64', arm64: 'arm64', arm: 'arm' };
    for (const [arch, groups] of Object.entries(sources.isa as Record<string, Record<string, unknown>>)) {
      const cond = (gyp.conditions as Array<[string, { targets: Array<Record<string, unknown>> }]>)
        .find(([c]) => c === `target_arch=='${gypArch[arch]}'`);
      expect(cond, `a condition block for ${arch}`).toBeDefined();
      const names = cond![1].targets.map((t) => t.target_name);
      for (const group of Object.keys(groups)) {
        const name = `nnslim_isa_${arch}_${group}`;
        expect(names).toContain(name);
        const t = cond![1].targets.find((x) => x.target_name === name)!;
        expect(JSON.stringify(t.sources)).toContain(`isa.${arch}.${group}.sources`);
        expect(JSON.stringify(t.cflags)).toContain(`isa.${arch}.${group}.flags`);
        for (const top of gyp.targets.filter((x) => x.target_name !== 'nnslim_kernels' || true)) {
          const deps = JSON.stringify(top.conditions ?? []);
          if (top.target_name === 'nnslim' || top.target_name === 'nnslim_kernels') expect(deps).toContain(name);
        }
      }
    }
    expect(text).not.toContain('march=native');
  });

  it('CMakeLists.txt reads sources.json for every group (checked against its compile database when built)', () => {
    const cmake = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    expect(cmake).toContain('native/sources.json');
    for (const key of ['kernels', 'binding', 'tests', 'isa']) expect(cmake).toMatch(new RegExp(`\\b${key}\\b`));
    expect(cmake).not.toContain('march=native');
    const db = path.join(root, 'build-cmake', 'compile_commands.json');
    if (fs.existsSync(db)) {
      const entries = JSON.parse(fs.readFileSync(db, 'utf8')) as Array<{ file: string; command: string }>;
      const compiled = new Map(entries.map((e) => [path.relative(root, e.file), e.command]));
      for (const f of [...sources.kernels, ...sources.tests]) expect(compiled.has(f), f).toBe(true);
      // The architecture the database was built for: a cross compiler names it; otherwise the host's
      // (under user-mode emulation this process's arch is the emulated one, the build is the host's).
      const commands = entries.map((e) => e.command).join('\n');
      const arch = /aarch64-linux-gnu-/.test(commands) ? 'arm64' : /arm-linux-gnueabihf-/.test(commands) ? 'arm'
        : process.env.NNSLIM_TEST_NODE_PREFIX ? 'x64' : process.arch;
      for (const g of Object.values((sources.isa[arch] ?? {}) as Record<string, { sources: string[]; flags: string[] }>)) {
        for (const f of g.sources) {
          expect(compiled.has(f), f).toBe(true);
          for (const flag of g.flags) expect(compiled.get(f)).toContain(flag);
        }
      }
    }
  });
});
