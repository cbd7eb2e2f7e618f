// Student's t distribution and the two summaries cross-validation reports with it: a mean
// with its t confidence interval, and the paired t-test of two models scored on the same
// folds. The CDF goes through the regularized incomplete beta function, evaluated by its
// continued fraction (modified Lentz); tests compare everything with SciPy
// (tests/data/cv/make_references.py).
#pragma once

#include <cstdint>
#include <span>

namespace pancan {

// I_x(a, b) for a, b > 0 and 0 <= x <= 1 (scipy.special.betainc).
double regularized_incomplete_beta(double a, double b, double x);

// P(T <= t) for T ~ Student's t with `dof` > 0 degrees of freedom (scipy.stats.t.cdf).
double student_t_cdf(double t, double dof);
// The p-quantile, 0 < p < 1 (scipy.stats.t.ppf), by bisection on the CDF.
double student_t_quantile(double p, double dof);

// Mean, sample standard deviation (ddof = 1) and the `level` confidence interval
// mean +- t_{(1+level)/2, n-1} sd / sqrt(n). With n < 2 sd and the interval are NaN.
struct MeanInterval {
  std::int64_t n = 0;
  double mean = 0, sd = 0, low = 0, high = 0;
};
MeanInterval mean_interval(std::span<const double> values, double level = 0.95);

// Paired t-test of a - b (scipy.stats.ttest_rel): the mean difference with its interval,
// t = mean / (sd / sqrt(n)) and the two-sided p-value. When every difference is the same,
// t is +-inf and p = 0 (or, when they are all 0, t = 0 and p = 1) where SciPy gives NaN.
struct PairedTest {
  MeanInterval difference;
  double t = 0, p_value = 1;
};
PairedTest paired_t_test(std::span<const double> a, std::span<const double> b, double level = 0.95);

}  // namespace pancan
