export {
  type Alternative,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  mannWhitney,
  shiftedStatistic,
} from './mann-whitney.js';
export { erfc, normalCdf, normalQuantile, normalSf } from './normal.js';
export {
  type Count,
  type FisherResult,
  fisherExact,
  newcombeInterval,
  type TwoProportionResult,
  twoProportionTest,
  wilsonInterval,
} from './proportions.js';
export { averageRanks, tieSum } from './ranks.js';
export { wilcoxonCdf, wilcoxonDistribution, wilcoxonQuantile, wilcoxonSf } from './wilcoxon-distribution.js';
