/** A progress reading at a time (the scheduler's clock). */
export interface ProgressPoint {
  readonly at: number;
  readonly progress: number;
}

/** The median of `values` (sorted in place); NaN for none. */
export function medianOf(values: number[]): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** An estimated end, and how uncertain it is (one standard deviation, in the same unit). */
export interface Estimate {
  readonly at: number;
  readonly spread: number;
}

/** A progress line through points: `progress ≈ intercept + slope * at`, and how far the points scatter around it. */
export interface ProgressLine {
  readonly slope: number;
  readonly intercept: number;
  /** The readings' scatter around the line (one standard deviation, in progress). */
  readonly scatter: number;
}

/**
 * A Theil–Sen line through the points: the slope is the median of the slopes of pairs far enough apart in time,
 * the intercept the median of what each point implies, so one noisy reading, a jump or a short stall moves it
 * little. The scatter is the points' median absolute deviation from the line, made larger for few points (a
 * line through three points fits them better than it fits the task). Undefined for fewer than two points at
 * different times.
 */
export function lineOf(points: readonly ProgressPoint[]): ProgressLine | undefined {
  // Pairs close in time say little about the slope (their noise is divided by a short time): only pairs at
  // least a third of the readings' span apart vote.
  const span = points.length === 0 ? 0 : points[points.length - 1]!.at - points[0]!.at;
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (b.at - a.at >= span / 3 && b.at !== a.at) slopes.push((b.progress - a.progress) / (b.at - a.at));
    }
  }
  if (slopes.length === 0) return undefined;
  const slope = medianOf(slopes);
  if (!Number.isFinite(slope)) return undefined;
  const intercept = medianOf(points.map((point) => point.progress - slope * point.at));
  const deviation = 1.4826 * medianOf(points.map((point) => Math.abs(point.progress - (intercept + slope * point.at))));
  // Two fitted numbers leave n - 2 points to measure the scatter by.
  const scatter = deviation * Math.sqrt(points.length / Math.max(1, points.length - 2));
  return { slope, intercept, scatter };
}

/**
 * When the progress line through the points reaches 1, and how uncertain that is: the scatter (at least
 * `minScatter`), in time, grown by how far the line is extrapolated beyond the readings (the prediction error of
 * a fitted line). Undefined when the points cannot tell (fewer than two at different times) or the progress
 * does not go up.
 */
export function etaOf(points: readonly ProgressPoint[], minScatter = 0.02): Estimate | undefined {
  const line = lineOf(points);
  if (line === undefined || !(line.slope > 0)) return undefined;
  const scatter = Math.max(minScatter, line.scatter);
  const at = (1 - line.intercept) / line.slope;
  const mean = points.reduce((sum, point) => sum + point.at, 0) / points.length;
  const sxx = points.reduce((sum, point) => sum + (point.at - mean) ** 2, 0);
  return { at, spread: (scatter / line.slope) * Math.sqrt(1 / points.length + (at - mean) ** 2 / sxx) };
}
