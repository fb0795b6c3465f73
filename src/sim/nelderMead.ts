/**
 * Nelder–Mead minimisation with the dimension-adaptive coefficients of Gao & Han (2012). The
 * calibration's objective is a simulation whose output moves in small steps with its inputs, so
 * a derivative-free simplex search is the robust choice.
 */

export interface NelderMeadOptions {
  initialStep: number;
  maxEvaluations: number;
  /** Stop when the simplex's values differ by less than this. */
  tolerance: number;
  onProgress?: (evaluations: number, best: number) => void;
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  evaluations: number;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  options: NelderMeadOptions,
): NelderMeadResult {
  const n = x0.length;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations += 1;
    const value = f(x);
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
  };

  let simplex = [
    x0,
    ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + options.initialStep : v))),
  ];
  let values = simplex.map(evaluate);

  const combine = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * (b[i]! - v));

  while (evaluations < options.maxEvaluations) {
    const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    options.onProgress?.(evaluations, values[0]!);
    if (values[n]! - values[0]! < options.tolerance) break;

    const centroid = x0.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j]!, 0) / n);
    const worst = simplex[n]!;
    const reflected = combine(centroid, worst, -alpha);
    const fr = evaluate(reflected);
    if (fr < values[0]!) {
      const expanded = combine(centroid, worst, -alpha * beta);
      const fe = evaluate(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
      continue;
    }
    if (fr < values[n - 1]!) {
      simplex[n] = reflected;
      values[n] = fr;
      continue;
    }
    const outside = fr < values[n]!;
    const contracted = combine(centroid, outside ? reflected : worst, gamma);
    const fc = evaluate(contracted);
    if (fc < (outside ? fr : values[n]!)) {
      simplex[n] = contracted;
      values[n] = fc;
      continue;
    }
    const best = simplex[0]!;
    for (let i = 1; i <= n; i++) {
      simplex[i] = combine(best, simplex[i]!, delta);
      values[i] = evaluate(simplex[i]!);
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { x: simplex[bestIndex]!, value: values[bestIndex]!, evaluations };
}
