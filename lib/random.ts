/**
 * Seeded pseudo-random numbers for initialisation, shuffling and dropout (xoshiro128**,
 * seeded through splitmix32). Not PyTorch's generator: same distributions, other streams.
 */
import { checkInt, checkNumber, typeError } from './errors';

/** A small seeded generator. */
export class Rng {
  private s0 = 0; private s1 = 0; private s2 = 0; private s3 = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seeds the generator (an integer in [0, 2^53)). */
  seed(seed: number): void {
    checkInt('seed', seed, { min: 0 });
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t; this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    checkNumber('low', low);
    checkNumber('high', high);
    return low + (high - low) * this.random();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    checkInt('n', n, { min: 1 });
    return Math.floor(this.random() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    if (!Array.isArray(a) && !(ArrayBuffer.isView(a) && !(a instanceof DataView))) throw typeError('a', 'an array or a typed array', a);
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The package's default generator, used when no `rng` option is given. */
export const defaultRng = new Rng(0);

/** Seeds the default generator (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultRng.seed(seed);
}
