// Spawning another Node process from a test. Under user-mode emulation without binfmt
// (the ARM runs of the suite), a child must be started through the same emulator:
// NNSLIM_TEST_NODE_PREFIX holds it as a JSON array, e.g. ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"].
import { execFileSync, spawnSync, type ExecFileSyncOptions, type SpawnSyncOptions } from 'node:child_process';

function prefix(): string[] {
  const raw = process.env.NNSLIM_TEST_NODE_PREFIX;
  return raw ? (JSON.parse(raw) as string[]) : [];
}

/** [command, args] that run `node <args>` the way this process runs. */
export function nodeCommand(args: string[]): [string, string[]] {
  const p = prefix();
  return p.length ? [p[0], [...p.slice(1), process.execPath, ...args]] : [process.execPath, args];
}

export function spawnNodeSync(args: string[], options: SpawnSyncOptions = {}) {
  const [cmd, argv] = nodeCommand(args);
  return spawnSync(cmd, argv, { encoding: 'utf8', ...options });
}

export function execNodeSync(args: string[], options: ExecFileSyncOptions = {}): string {
  const [cmd, argv] = nodeCommand(args);
  return execFileSync(cmd, argv, { encoding: 'utf8', ...options }) as string;
}
