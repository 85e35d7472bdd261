/** The numbers that shape a backoff schedule, already checked. */
export interface BackoffShape {
  readonly initialDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
  /** The spread as fractions of the delay: each delay is multiplied by 1 + U(jitterMin, jitterMax). */
  readonly jitterMin: number;
  readonly jitterMax: number;
}

/**
 * Delay number `wait` (1-based) of a backoff schedule: `min(maxDelayMs, initialDelayMs * factor^(wait-1))`,
 * multiplied by `1 + jitterMin + (jitterMax - jitterMin) * random()` with `random()` in [0, 1) (an answer
 * outside it counts as the nearest end, NaN as 0), and never below 0 nor above `maxDelayMs`.
 */
export function backoffDelay(shape: BackoffShape, wait: number, random: () => number): number {
  // 0 * Infinity is NaN: a zero initial delay stays zero however far the factor has grown.
  const base =
    shape.initialDelayMs === 0 ? 0 : Math.min(shape.maxDelayMs, shape.initialDelayMs * Math.pow(shape.factor, wait - 1));
  if (shape.jitterMin === 0 && shape.jitterMax === 0) return base;
  // A random source that answers outside [0, 1) (NaN, a negative, 7) counts as its nearest end: a bug there
  // must not make a delay of NaN, which a timer takes as 0.
  const drawn = random();
  const unit = drawn > 0 ? Math.min(drawn, 1) : 0;
  const spread = base * (1 + shape.jitterMin + (shape.jitterMax - shape.jitterMin) * unit);
  return Math.min(shape.maxDelayMs, Math.max(0, spread));
}
