/** Markers of the network lab's section of BENCHMARKS.md, which `npm run bench` keeps as it is. */
export const LAB_BEGIN = '<!-- lab-scale:begin -->';
export const LAB_END = '<!-- lab-scale:end -->';
