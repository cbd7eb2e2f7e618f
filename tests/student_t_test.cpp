// Student's t, the incomplete beta function, mean intervals and the paired t-test against
// SciPy (tests/data/cv/, made by make_references.py there).
#include "pancan/student_t.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pancan {
namespace {

const std::string kData = std::string(PANCAN_TEST_DATA) + "/cv/";

std::vector<std::vector<double>> read_csv(const std::string& name, char separator = ',') {
  std::ifstream in(kData + name);
  EXPECT_TRUE(in) << name;
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::stringstream cells(line);
    rows.emplace_back();
    for (std::string cell; std::getline(cells, cell, separator);)
      rows.back().push_back(std::strtod(cell.c_str(), nullptr));
  }
  return rows;
}

std::vector<std::string> read_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, ';');) fields.push_back(field);
  return fields;
}

std::vector<double> numbers(const std::string& list) {
  std::vector<double> out;
  std::stringstream stream(list);
  for (std::string cell; std::getline(stream, cell, ',');)
    out.push_back(std::strtod(cell.c_str(), nullptr));
  return out;
}

TEST(StudentT, IncompleteBetaMatchesScipy) {
  const auto rows = read_csv("betainc.csv");
  ASSERT_EQ(rows.size(), 160u);
  for (const auto& r : rows)
    EXPECT_NEAR(regularized_incomplete_beta(r[0], r[1], r[2]), r[3], 1e-13 + 1e-12 * r[3])
        << "a " << r[0] << " b " << r[1] << " x " << r[2];
}

TEST(StudentT, CdfMatchesScipy) {
  const auto rows = read_csv("t_cdf.csv");
  ASSERT_EQ(rows.size(), 72u);
  for (const auto& r : rows)
    EXPECT_NEAR(student_t_cdf(r[0], r[1]), r[2], 1e-14 + 1e-12 * r[2])
        << "t " << r[0] << " dof " << r[1];
}

TEST(StudentT, QuantileMatchesScipy) {
  const auto rows = read_csv("t_ppf.csv");
  ASSERT_EQ(rows.size(), 42u);
  // SciPy's t.ppf is itself good to about 1e-9 relative (its t.cdf at its own quantile is
  // off by 3e-10 for p = 0.1, dof = 24), so the quantile is held to that and, more tightly,
  // to inverting the CDF.
  for (const auto& r : rows) {
    const double q = student_t_quantile(r[0], r[1]);
    EXPECT_NEAR(q, r[2], 3e-9 * std::max(1.0, std::fabs(r[2]))) << "p " << r[0] << " dof " << r[1];
    EXPECT_NEAR(student_t_cdf(q, r[1]), r[0], 1e-14) << "p " << r[0] << " dof " << r[1];
  }
  // One degree of freedom is the Cauchy distribution: the quantile is tan(pi (p - 1/2)).
  EXPECT_NEAR(student_t_quantile(0.0005, 1), std::tan(M_PI * (0.0005 - 0.5)), 1e-13 * 637);
  EXPECT_TRUE(std::isnan(student_t_quantile(0, 3)));
  EXPECT_TRUE(std::isnan(student_t_quantile(0.5, 0)));
}

TEST(StudentT, MeanIntervalMatchesScipy) {
  std::ifstream in(kData + "interval.csv");
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto f = read_fields(line);
    const auto r = mean_interval(numbers(f[0]));
    EXPECT_NEAR(r.mean, std::stod(f[1]), 1e-14);
    EXPECT_NEAR(r.sd, std::stod(f[2]), 1e-14);
    EXPECT_NEAR(r.low, std::stod(f[3]), 1e-9);  // SciPy's t.ppf: see QuantileMatchesScipy
    EXPECT_NEAR(r.high, std::stod(f[4]), 1e-9);
  }
  EXPECT_EQ(lines, 4);
  const std::vector<double> one = {0.9};
  const auto single = mean_interval(one);
  EXPECT_DOUBLE_EQ(single.mean, 0.9);
  EXPECT_TRUE(std::isnan(single.sd) && std::isnan(single.low) && std::isnan(single.high));
}

TEST(StudentT, PairedTestMatchesScipy) {
  std::ifstream in(kData + "paired.csv");
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto f = read_fields(line);
    const auto r = paired_t_test(numbers(f[0]), numbers(f[1]));
    EXPECT_NEAR(r.difference.mean, std::stod(f[2]), 1e-14);
    EXPECT_NEAR(r.difference.low, std::stod(f[3]), 1e-9);
    EXPECT_NEAR(r.difference.high, std::stod(f[4]), 1e-9);
    EXPECT_NEAR(r.t, std::stod(f[5]), 1e-10 * std::fabs(std::stod(f[5])));
    EXPECT_NEAR(r.p_value, std::stod(f[6]), 1e-12);
  }
  EXPECT_EQ(lines, 4);
}

TEST(StudentT, PairedTestWithConstantDifferences) {
  // Binary fractions, so the differences are exactly equal.
  const std::vector<double> a = {0.875, 0.75, 0.5}, b = a, c = {0.75, 0.625, 0.375};
  const auto same = paired_t_test(a, b);
  EXPECT_EQ(same.t, 0);
  EXPECT_EQ(same.p_value, 1);
  const auto shifted = paired_t_test(a, c);
  EXPECT_TRUE(std::isinf(shifted.t) && shifted.t > 0);
  EXPECT_EQ(shifted.p_value, 0);
}

}  // namespace
}  // namespace pancan
