import fc from 'fast-check';
import { backoffDelay } from '../../lib/strategies/backoff-delay.js';

const shapes = fc
  .record({
    initialDelayMs: fc.double({ min: 0, max: 100_000, noNaN: true }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    extra: fc.double({ min: 0, max: 1_000_000, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ initialDelayMs, factor, extra, jitter }) => ({
    initialDelayMs,
    factor,
    maxDelayMs: initialDelayMs + extra,
    jitter,
    jitterMin: -jitter,
    jitterMax: jitter,
  }));
const randoms = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const waits = fc.integer({ min: 1, max: 2000 });

describe('backoffDelay', () => {
  it('stays within 0 and maxDelayMs', () => {
    fc.assert(
      fc.property(shapes, waits, randoms, (shape, wait, r) => {
        const delay = backoffDelay(shape, wait, () => r);
        return delay >= 0 && delay <= shape.maxDelayMs;
      }),
    );
  });

  it('stays within ±jitter of min(maxDelayMs, initialDelayMs * factor^(n-1))', () => {
    fc.assert(
      fc.property(shapes, waits, randoms, (shape, wait, r) => {
        const grown = shape.initialDelayMs === 0 ? 0 : shape.initialDelayMs * Math.pow(shape.factor, wait - 1);
        const base = Math.min(shape.maxDelayMs, grown);
        const delay = backoffDelay(shape, wait, () => r);
        return Math.abs(delay - base) <= shape.jitter * base + 1e-6 * Math.max(1, base);
      }),
    );
  });

  it('never shrinks from one wait to the next without jitter', () => {
    fc.assert(
      fc.property(shapes, waits, (shape, wait) => {
        const flat = { ...shape, jitterMin: 0, jitterMax: 0 };
        return backoffDelay(flat, wait + 1, Math.random) >= backoffDelay(flat, wait, Math.random);
      }),
    );
  });
});

describe('backoffDelay with a zero initial delay', () => {
  it('stays 0 however far the factor has grown (no NaN from 0 * Infinity)', () => {
    expect(backoffDelay({ initialDelayMs: 0, factor: 1.5, maxDelayMs: 0, jitterMin: 0, jitterMax: 0 }, 2000, Math.random)).toBe(0);
  });
});

describe('backoffDelay with an upward jitter range', () => {
  it('only adds, from 0 to max, and stays under maxDelayMs', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 10_000, noNaN: true }), randoms, (initialDelayMs, r) => {
        const shape = { initialDelayMs, factor: 1, maxDelayMs: initialDelayMs * 2, jitterMin: 0, jitterMax: 0.1 };
        const delay = backoffDelay(shape, 1, () => r);
        return delay >= initialDelayMs && delay <= initialDelayMs * 1.1 + 1e-9;
      }),
    );
  });
});
