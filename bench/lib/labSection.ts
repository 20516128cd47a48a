/**
 * Markers of the network lab's section of BENCHMARKS.md (bench/lab-scale.ts rewrites what is
 * between them); `npm run bench` keeps everything from LAB_BEGIN on as it is.
 */
export const LAB_BEGIN = '<!-- lab-scale:begin -->';
export const LAB_END = '<!-- lab-scale:end -->';
