export { type Alternative, mannWhitney, shiftedStatistic } from './mann-whitney.js';
export { erfc, normalCdf, normalQuantile, normalSf } from './normal.js';
export { fisherExact, newcombeInterval, twoProportionTest, wilsonInterval } from './proportions.js';
export { wilcoxonCdf, wilcoxonDistribution, wilcoxonQuantile, wilcoxonSf } from './wilcoxon-distribution.js';
