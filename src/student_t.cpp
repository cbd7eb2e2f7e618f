// Student's t distribution via the regularized incomplete beta function (student_t.hpp).
#include "pancan/student_t.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "pancan/error.hpp"

namespace pancan {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of I_x(a, b) / (x^a (1-x)^b / (a B(a, b))):
//   1 / (1 + d1 / (1 + d2 / (1 + ...))),
//   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b-m) x / ((a+2m-1)(a+2m)),
// evaluated by the modified Lentz method; it converges fast for x < (a+1)/(a+b+2).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double f = 1, c = 1, d = 0;  // f = 1 + d1/(1 + d2/(...)), built term by term
  for (int j = 1; j <= 10000; ++j) {
    const int m = j / 2;
    const double term = (j % 2 == 1) ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                                     : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + term * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + term / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1) < eps) return 1 / f;
  }
  throw Error("incomplete beta: the continued fraction did not converge");
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return kNaN;
  if (x == 0) return 0;
  if (x == 1) return 1;
  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_fraction(a, b, x) / a;
  // The symmetry I_x(a, b) = 1 - I_{1-x}(b, a) puts x where the fraction converges.
  return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

double student_t_cdf(double t, double dof) {
  if (std::isnan(t) || !(dof > 0)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2).
  const double tail = 0.5 * regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
  return t > 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(p > 0) || !(p < 1) || !(dof > 0)) return kNaN;
  if (p == 0.5) return 0;
  // The CDF is increasing: widen a bracket, then halve it to double precision.
  double low = -1, high = 1;
  while (student_t_cdf(low, dof) > p) low *= 2;
  while (student_t_cdf(high, dof) < p) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-15 * std::max(1.0, std::fabs(low)); ++i) {
    const double middle = 0.5 * (low + high);
    (student_t_cdf(middle, dof) < p ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

MeanInterval mean_interval(std::span<const double> values, double level) {
  MeanInterval r;
  r.n = static_cast<std::int64_t>(values.size());
  if (r.n == 0) {
    r.mean = r.sd = r.low = r.high = kNaN;
    return r;
  }
  double sum = 0;
  for (double v : values) sum += v;
  r.mean = sum / static_cast<double>(r.n);
  if (r.n < 2) {
    r.sd = r.low = r.high = kNaN;
    return r;
  }
  double squares = 0;
  for (double v : values) squares += (v - r.mean) * (v - r.mean);
  r.sd = std::sqrt(squares / static_cast<double>(r.n - 1));
  const double half = student_t_quantile(0.5 + level / 2, static_cast<double>(r.n - 1)) * r.sd /
                      std::sqrt(static_cast<double>(r.n));
  r.low = r.mean - half;
  r.high = r.mean + half;
  return r;
}

PairedTest paired_t_test(std::span<const double> a, std::span<const double> b, double level) {
  if (a.size() != b.size()) throw Error("paired t-test: samples of different sizes");
  std::vector<double> differences(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) differences[i] = a[i] - b[i];
  PairedTest r;
  r.difference = mean_interval(differences, level);
  const auto& d = r.difference;
  if (d.n < 2) {
    r.t = r.p_value = kNaN;
  } else if (d.sd == 0) {
    r.t = d.mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), d.mean);
    r.p_value = d.mean == 0 ? 1 : 0;
  } else {
    r.t = d.mean / (d.sd / std::sqrt(static_cast<double>(d.n)));
    r.p_value = 2 * student_t_cdf(-std::fabs(r.t), static_cast<double>(d.n - 1));
  }
  return r;
}

}  // namespace pancan
