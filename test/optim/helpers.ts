import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parameter } from '../../lib/nn/parameter';
import { Adam, AdamW, lr, RMSprop, SGD, type Optimizer } from '../../lib/optim';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'optim');

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

export type Kind = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
export type GroupSpec = Record<string, unknown> & { params: number[] };

const CTORS = { SGD, Adam, AdamW, RMSprop } as const;

/** Builds an optimizer from a fixture description (groups refer to parameters by index). */
export function makeOptimizer(kind: Kind, options: Record<string, unknown>, groups: GroupSpec[] | null | undefined, params: Parameter[]): Optimizer {
  const Ctor = CTORS[kind] as unknown as new (p: unknown, o: unknown) => Optimizer;
  const arg = groups ? groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]) })) : params;
  return new Ctor(arg, options);
}

/** The same named lambdas as gen_optim.py. */
export const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  warmup10: (e) => Math.min(1.0, (e + 1) / 10),
  inv: (e) => 1.0 / (1.0 + 0.1 * e),
};
export const SCALE_FNS: Record<string, (x: number) => number> = {
  inv_iter: (x) => 1.0 / (1.0 + 0.01 * x),
  half_cycle: (x) => 0.5 ** (x - 1),
};

export interface Stepper {
  step(arg?: number): void;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
  lastEpoch: number;
}

/** Builds a scheduler from a fixture description. */
export function makeScheduler(opt: Optimizer, name: string, options: Record<string, unknown>): Stepper {
  const o: Record<string, unknown> = { ...options };
  if (name === 'LambdaLR') {
    const l = o.lrLambda as string | string[];
    o.lrLambda = Array.isArray(l) ? l.map((x) => LAMBDAS[x]) : LAMBDAS[l];
  }
  if (name === 'CyclicLR' && typeof o.scaleFn === 'string') o.scaleFn = SCALE_FNS[o.scaleFn];
  if (name === 'SequentialLR' || name === 'ChainedScheduler') {
    const subs = (o.schedulers as Array<{ scheduler: string; options: Record<string, unknown> }>).map((s) => makeScheduler(opt, s.scheduler, s.options));
    if (name === 'ChainedScheduler') return new lr.ChainedScheduler(subs as unknown as lr.LRScheduler[]) as unknown as Stepper;
    o.schedulers = subs;
  }
  const Ctor = (lr as unknown as Record<string, new (opt: Optimizer, o: unknown) => Stepper>)[name];
  return new Ctor(opt, o);
}

/** Relative closeness with a tiny absolute floor. */
export function close(a: number, b: number, rel: number, abs: number): boolean {
  if (Object.is(a, b)) return true;
  return Math.abs(a - b) <= rel * Math.abs(b) + abs;
}

export function params(sizes: number[], init?: number[][]): Parameter[] {
  return sizes.map((n, k) => new Parameter(init ? Float32Array.from(init[k]) : new Float32Array(n)));
}

/** A scheduler fixture case (see gen_optim.py). */
export interface SchedCase {
  name: string;
  scheduler: string;
  options: Record<string, unknown>;
  optimizer?: Kind;
  optOptions?: Record<string, unknown>;
  groups?: GroupSpec[];
  metrics?: number[];
  epochs?: Array<number | null>;
  steps?: number;
  trackMomentum?: boolean;
  lrs: number[][];
  momentum?: number[][];
}



/** Builds the case's optimizer (two SGD groups unless given) and scheduler. */
export function setup(c: SchedCase) {
  const ps = params([4, 3]);
  const opt = makeOptimizer(c.optimizer ?? 'SGD', c.optOptions ?? { lr: 0.1, momentum: 0.9 }, c.groups ?? [{ params: [0] }, { params: [1], lr: 0.05 }], ps);
  const sched = makeScheduler(opt, c.scheduler, c.options);
  return { opt, sched };
}

export function momenta(opt: ReturnType<typeof setup>['opt']): number[] {
  return opt.paramGroups.map((g) => {
    const gg = g as unknown as { betas?: number[]; momentum?: number };
    return gg.betas ? gg.betas[0] : (gg.momentum ?? 0);
  });
}

export function advance(c: SchedCase, sched: ReturnType<typeof setup>['sched'], i: number): void {
  if (c.metrics) sched.step(c.metrics[i]);
  else if (c.epochs && c.epochs[i] !== null) sched.step(c.epochs[i] as number);
  else sched.step();
}

