/** A progress reading at a time (the scheduler's clock). */
export interface ProgressPoint {
  readonly at: number;
  readonly progress: number;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** An estimated end, and how uncertain it is (one standard deviation, in the same unit). */
export interface Estimate {
  readonly at: number;
  readonly spread: number;
}

/**
 * When the progress line reaches 1: a Theil–Sen fit of the points (the slope is the median of the slopes of
 * pairs far enough apart in time, the intercept the median of what each point implies), so one noisy reading,
 * a jump or a short stall moves the estimate little. The spread comes from the points' scatter around the
 * line (their median absolute deviation). Undefined when the points cannot tell (fewer than two at different
 * times) or the progress does not go up.
 */
export function etaOf(points: readonly ProgressPoint[]): Estimate | undefined {
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
  const slope = median(slopes);
  if (!(slope > 0) || !Number.isFinite(slope)) return undefined;
  const intercept = median(points.map((point) => point.progress - slope * point.at));
  // Readings are assumed at least 2 % off: a handful of points can fall on a line by chance.
  const scatter = Math.max(0.02, 1.4826 * median(points.map((point) => Math.abs(point.progress - (intercept + slope * point.at)))));
  const at = (1 - intercept) / slope;
  // How far off the end can be: the scatter, in time, grown by how far the line is extrapolated beyond the
  // readings (the prediction error of a fitted line).
  const mean = points.reduce((sum, point) => sum + point.at, 0) / points.length;
  const sxx = points.reduce((sum, point) => sum + (point.at - mean) ** 2, 0);
  return { at, spread: (scatter / slope) * Math.sqrt(1 / points.length + (at - mean) ** 2 / sxx) };
}
