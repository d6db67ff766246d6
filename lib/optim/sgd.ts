import { checkBool, rangeError } from '../errors';
import type { Parameter } from '../nn/parameter';
import { loadBuffer, Optimizer, type ParamGroup, type ParamState, type Params } from './optimizer';
import { checkUnitOpen, numberOr } from './validate';

/** Options of {@link SGD} (PyTorch names in camelCase). */
export interface SGDOptions {
  /** Learning rate, >= 0 (default 1e-3). */
  lr: number;
  /** Momentum factor in [0, 1) (default 0). */
  momentum: number;
  /** Dampening for momentum in [0, 1] (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient, >= 0 (default 0). */
  weightDecay: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize: boolean;
}

const KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'] as const;
const f = Math.fround;

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, matching PyTorch's
 * single-tensor `torch.optim.SGD` in float32 step by step.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.zeroGrad(); model.backward(...); opt.step();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, options, KEYS);
  }

  protected completeOptions(name: string, o: Record<string, unknown>, base: SGDOptions | undefined): SGDOptions {
    const lr = numberOr(`${name}.lr`, o.lr, base?.lr ?? 1e-3, { min: 0 });
    const momentum = o.momentum === undefined ? (base?.momentum ?? 0) : checkUnitOpen(`${name}.momentum`, o.momentum);
    const dampening = numberOr(`${name}.dampening`, o.dampening, base?.dampening ?? 0, { min: 0, max: 1 });
    const weightDecay = numberOr(`${name}.weightDecay`, o.weightDecay, base?.weightDecay ?? 0, { min: 0 });
    const nesterov = o.nesterov === undefined ? (base?.nesterov ?? false) : checkBool(`${name}.nesterov`, o.nesterov);
    const maximize = o.maximize === undefined ? (base?.maximize ?? false) : checkBool(`${name}.maximize`, o.maximize);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw rangeError(`${name}.nesterov`, 'nesterov only with momentum > 0 and dampening 0', `momentum ${momentum}, dampening ${dampening}`);
    }
    return { lr, momentum, dampening, weightDecay, nesterov, maximize };
  }

  protected loadParamState(name: string, e: Record<string, unknown>, p: Parameter): ParamState {
    const s: ParamState = {};
    if (e.momentumBuffer !== undefined && e.momentumBuffer !== null) s.momentumBuffer = loadBuffer(`${name}.momentumBuffer`, e.momentumBuffer, p.data.length);
    for (const k of Object.keys(e)) if (k !== 'momentumBuffer') throw rangeError(`${name}.${k}`, 'a known state key (momentumBuffer)', k);
    return s;
  }

  protected updateParam(p: Parameter, g: ParamGroup & SGDOptions, state: ParamState | undefined): ParamState {
    const s = state ?? {};
    let buf: Float32Array | null = null;
    let first = false;
    if (g.momentum !== 0) {
      if (!(s.momentumBuffer instanceof Float32Array)) {
        s.momentumBuffer = new Float32Array(p.data.length);
        first = true;
      }
      buf = s.momentumBuffer;
    }
    sgdUpdate(p.data, p.grad, buf, first, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, g.maximize);
    return s;
  }
}

/**
 * The SGD update on raw arrays. Float32 semantics of PyTorch's CPU kernels: `add(x, alpha)` is a
 * fused multiply-add (emulated: x*alpha is exact in a double and the sum is rounded to double then
 * float32, which differs from a true FMA only on rare double-rounding ties); every other op rounds to float32.
 */
function sgdUpdate(
  p: Float32Array, grad: Float32Array, buf: Float32Array | null, first: boolean,
  lr: number, momentum: number, dampening: number, wd: number, nesterov: boolean, maximize: boolean,
): void {
  const n = p.length;
  const nlr = f(-lr);
  const wdf = f(wd);
  const mf = f(momentum);
  const od = f(1 - dampening);
  const sgn = maximize ? -1 : 1;
  const decay = wd !== 0;
  if (buf === null) {
    for (let i = 0; i < n; i++) {
      let d = sgn * grad[i];
      if (decay) d = f(d + wdf * p[i]);
      p[i] = p[i] + nlr * d;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let d = sgn * grad[i];
    if (decay) d = f(d + wdf * p[i]);
    const b = first ? d : f(f(buf[i] * mf) + od * d);
    buf[i] = b;
    if (nesterov) d = f(d + mf * b);
    else d = b;
    p[i] = p[i] + nlr * d;
  }
}
