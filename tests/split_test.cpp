// The stratified split: sizes per class, determinism, disjoint parts that cover every
// sample, and independence of the classes' streams.
#include "pancan/split.hpp"

#include <gtest/gtest.h>

#include <array>

#include "pancan/error.hpp"

namespace pancan {
namespace {

// Five TCGA-like classes: 300 BRCA, 146 KIRC, 78 COAD, 141 LUAD, 136 PRAD = 801.
std::vector<std::int32_t> tcga_like_labels() {
  const std::array<int, 5> counts = {300, 146, 78, 141, 136};
  std::vector<std::int32_t> labels;
  // Interleaved, as real files are not sorted by class.
  for (int i = 0; labels.size() < 801; ++i)
    for (int c = 0; c < 5; ++c)
      if (i < counts[static_cast<std::size_t>(c)]) labels.push_back(c);
  return labels;
}

TEST(Split, RoundingRulePerClass) {
  const SplitFractions defaults;
  auto s = class_split_sizes(300, defaults);  // 100 test, round(0.2 * 200) = 40 validation
  EXPECT_EQ(s.test, 100);
  EXPECT_EQ(s.validation, 40);
  EXPECT_EQ(s.train, 160);
  s = class_split_sizes(11, defaults);  // round(3.67) = 4 test, round(1.4) = 1 validation
  EXPECT_EQ(s.test, 4);
  EXPECT_EQ(s.validation, 1);
  EXPECT_EQ(s.train, 6);
  s = class_split_sizes(5, {0.5, 0.5});  // 2.5 rounds up to 3; then round(1.0) = 1
  EXPECT_EQ(s.test, 3);
  EXPECT_EQ(s.validation, 1);
  EXPECT_EQ(s.train, 1);
  s = class_split_sizes(2, {0.9, 0.9});  // capped: one sample always stays in training
  EXPECT_EQ(s.test, 1);
  EXPECT_EQ(s.validation, 0);
  EXPECT_EQ(s.train, 1);
  s = class_split_sizes(1, defaults);
  EXPECT_EQ(s.train, 1);
  s = class_split_sizes(10, {0.0, 0.0});
  EXPECT_EQ(s.train, 10);
}

TEST(Split, StratifiedEveryClassGetsItsShareAndEverySampleOnePart) {
  const auto labels = tcga_like_labels();
  const auto split = stratified_split(labels, 5, {}, 7);
  ASSERT_EQ(split.size(), labels.size());
  const std::array<int, 5> counts = {300, 146, 78, 141, 136};
  for (int c = 0; c < 5; ++c) {
    std::array<std::int64_t, 3> got = {0, 0, 0};
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == c) ++got[static_cast<std::size_t>(split[i])];
    const auto want = class_split_sizes(counts[static_cast<std::size_t>(c)], {});
    EXPECT_EQ(got[0], want.train) << "class " << c;
    EXPECT_EQ(got[1], want.validation) << "class " << c;
    EXPECT_EQ(got[2], want.test) << "class " << c;
    EXPECT_EQ(got[0] + got[1] + got[2], counts[static_cast<std::size_t>(c)]);
  }
}

TEST(Split, SameSeedSameSplitOtherSeedOtherSplit) {
  const auto labels = tcga_like_labels();
  const auto a = stratified_split(labels, 5, {}, 42);
  EXPECT_EQ(a, stratified_split(labels, 5, {}, 42));
  const auto b = stratified_split(labels, 5, {}, 43);
  EXPECT_NE(a, b);
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_LT(same, a.size() * 3 / 4);  // a different seed is a different draw, not a shift
}

TEST(Split, TestSamplesAreSpreadOverTheFileNotTheFirstOnes) {
  std::vector<std::int32_t> labels(300, 0);
  const auto split = stratified_split(labels, 1, {}, 1);
  std::int64_t first_half = 0;
  for (std::size_t i = 0; i < 150; ++i) first_half += split[i] == Split::Test;
  EXPECT_GT(first_half, 30);  // 50 expected; a block assignment would give 0 or 100
  EXPECT_LT(first_half, 70);
}

TEST(Split, RejectsBadFractionsAndLabels) {
  const std::vector<std::int32_t> labels = {0, 1, 0, 1};
  EXPECT_THROW(stratified_split(labels, 2, {1.0, 0.2}, 1), Error);
  EXPECT_THROW(stratified_split(labels, 2, {-0.1, 0.2}, 1), Error);
  EXPECT_THROW(stratified_split(labels, 2, {0.3, 1.2}, 1), Error);
  EXPECT_THROW(stratified_split(labels, 1, {}, 1), Error);  // label 1 out of range
}

}  // namespace
}  // namespace pancan
