// Synthetic data: class counts, fixed-point formatting, the value model, and the files.
#include "pancan/synth.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "pancan/error.hpp"

namespace pancan {
namespace {

namespace fs = std::filesystem;

std::string format(std::int64_t micro) {
  char text[32];
  return std::string(text, format_micro(micro, text));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SynthClassCounts, TheRealDataSetsCountsAt801) {
  EXPECT_EQ(synth_class_counts(801), (std::vector<std::int64_t>{300, 146, 141, 136, 78}));
  EXPECT_EQ(synth_class_counts(1602), (std::vector<std::int64_t>{600, 292, 282, 272, 156}));
}

TEST(SynthClassCounts, LargestRemainderForOtherSizes) {
  // Quotas at 100: 37.45 18.23 17.60 16.98 9.74; floors sum to 97; the 3 largest
  // remainders (PRAD .98, COAD .74, LUAD .60) get one more each.
  EXPECT_EQ(synth_class_counts(100), (std::vector<std::int64_t>{37, 18, 18, 17, 10}));
  // At 5 every quota is below 2; COAD's 0 is taken from the largest class.
  EXPECT_EQ(synth_class_counts(5), (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
  for (std::int64_t n : {6, 7, 11, 50, 333, 800, 802, 5000, 123457}) {
    const auto counts = synth_class_counts(n);
    EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}), n) << n;
    for (std::size_t c = 0; c < counts.size(); ++c) {
      EXPECT_GE(counts[c], 1) << n;
      if (n >= 50) {
        const double quota = static_cast<double>(n) * kSynthClassCounts801[c] / 801;
        EXPECT_LT(std::abs(counts[c] - quota), 1.0) << "n " << n << " class " << c;
      }
    }
  }
}

TEST(SynthClassCounts, FewerThanFiveSamplesIsAUsageError) {
  EXPECT_THROW(synth_class_counts(4), UsageError);
  EXPECT_THROW(synth_class_counts(0), UsageError);
  EXPECT_THROW(SynthModel(1, 2, 10), UsageError);
  EXPECT_THROW(SynthModel(1, 10, 0), UsageError);
}

TEST(SynthSampleClasses, ShuffledCountsFixedBySeed) {
  const auto order = synth_sample_classes(801, 2023);
  std::vector<std::int64_t> counts(kSynthClasses.size());
  for (int c : order) ++counts[static_cast<std::size_t>(c)];
  EXPECT_EQ(counts, synth_class_counts(801));
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(order, synth_sample_classes(801, 2023));
  EXPECT_NE(order, synth_sample_classes(801, 2024));
}

TEST(SynthFormat, UpToSixDecimalsTrailingZerosDroppedOneKept) {
  EXPECT_EQ(format(0), "0.0");
  EXPECT_EQ(format(2017209), "2.017209");
  EXPECT_EQ(format(3500000), "3.5");
  EXPECT_EQ(format(10000000), "10.0");
  EXPECT_EQ(format(20000000), "20.0");
  EXPECT_EQ(format(1000000), "1.0");
  EXPECT_EQ(format(1), "0.000001");
  EXPECT_EQ(format(100), "0.0001");
  EXPECT_EQ(format(19999999), "19.999999");
  EXPECT_EQ(format(10203040), "10.20304");
  EXPECT_EQ(format(123456789012), "123456.789012");
  EXPECT_EQ(format(-250000), "-0.25");
}

TEST(SynthFormat, RoundingToMicroUnits) {
  EXPECT_EQ(round_to_micro(2.0172094), 2017209);
  EXPECT_EQ(round_to_micro(2.0172096), 2017210);
  EXPECT_EQ(round_to_micro(0.9999996), 1000000);
  EXPECT_EQ(format(round_to_micro(0.9999996)), "1.0");
  EXPECT_EQ(round_to_micro(4e-7), 0);
  EXPECT_EQ(round_to_micro(20.0), 20000000);
}

TEST(SynthModel, ValuesInRangeWithZerosAndSpread) {
  const SynthModel model(2023, 120, 3000);
  std::int64_t zeros = 0, silent_genes = 0, informative_genes = 0;
  double sum = 0;
  std::int64_t max_value = 0;
  for (std::int64_t g = 0; g < model.genes(); ++g) {
    std::int64_t gene_zeros = 0;
    for (std::int64_t i = 0; i < model.samples(); ++i) {
      const auto v = model.value(i, g);
      ASSERT_GE(v, 0);
      ASSERT_LE(v, 20 * kMicro);
      gene_zeros += v == 0;
      sum += static_cast<double>(v) / kMicro;
      max_value = std::max(max_value, v);
    }
    zeros += gene_zeros;
    silent_genes += gene_zeros >= model.samples() - 1;
    informative_genes += model.informative(g);
  }
  const double cells = static_cast<double>(model.samples() * model.genes());
  EXPECT_GT(zeros / cells, 0.05);  // dropout and silent genes
  EXPECT_LT(zeros / cells, 0.25);
  EXPECT_GT(silent_genes, 0.04 * model.genes());  // "5-10% almost always zero"
  EXPECT_LT(silent_genes, 0.10 * model.genes());
  EXPECT_GT(informative_genes, 0.10 * model.genes());  // a minority moves with the class
  EXPECT_LT(informative_genes, 0.25 * model.genes());
  EXPECT_GT(sum / cells, 4.0);  // log2(RSEM+1): most genes around 5-10
  EXPECT_LT(sum / cells, 8.0);
  EXPECT_GT(max_value, 15 * kMicro);
}

TEST(SynthModel, ValueIsAFunctionOfSeedSampleAndGene) {
  const SynthModel a(2023, 60, 500), b(2023, 60, 500), wider(2023, 60, 900), other(7, 60, 500);
  std::int64_t differing = 0;
  for (std::int64_t i = 0; i < 60; ++i)
    for (std::int64_t g = 0; g < 500; ++g) {
      ASSERT_EQ(a.value(i, g), b.value(i, g));
      // Per-gene parameters are keyed by gene, so more genes do not change the first ones.
      ASSERT_EQ(a.value(i, g), wider.value(i, g));
      differing += a.value(i, g) != other.value(i, g);
    }
  EXPECT_GT(differing, 60 * 500 / 2);
  // Evaluation order does not matter: backwards gives the same numbers.
  for (std::int64_t g = 499; g >= 0; g -= 37) EXPECT_EQ(a.value(59, g), b.value(59, g));
}

TEST(SynthModel, InformativeGenesSeparateClassMeans) {
  const SynthModel model(2023, 801, 400);
  double informative_spread = 0, other_spread = 0;
  int informative = 0, other = 0;
  for (std::int64_t g = 0; g < model.genes(); ++g) {
    std::vector<double> sum(kSynthClasses.size()), count(kSynthClasses.size());
    for (std::int64_t i = 0; i < model.samples(); ++i) {
      sum[model.sample_class(i)] += static_cast<double>(model.value(i, g)) / kMicro;
      count[model.sample_class(i)] += 1;
    }
    double lo = 1e9, hi = -1e9;
    for (std::size_t c = 0; c < sum.size(); ++c) {
      lo = std::min(lo, sum[c] / count[c]);
      hi = std::max(hi, sum[c] / count[c]);
    }
    if (model.informative(g)) {
      informative_spread += hi - lo;
      ++informative;
    } else {
      other_spread += hi - lo;
      ++other;
    }
  }
  EXPECT_GT(informative_spread / informative, 1.0);
  EXPECT_LT(other_spread / other, 0.5);
}

TEST(SynthModel, RowIsSampleIdThenFormattedValues) {
  const SynthModel model(11, 8, 50);
  std::string row;
  model.append_row(7, row);
  std::string expected = "sample_7";
  for (std::int64_t g = 0; g < 50; ++g) expected += "," + format(model.value(7, g));
  EXPECT_EQ(row, expected + "\n");
}

TEST(SynthWrite, WritesBothFilesAndNoTemporaries) {
  const fs::path dir = fs::temp_directory_path() / "pancan_synth_test" / "nested";
  fs::remove_all(dir.parent_path());
  SynthOptions options;
  options.samples = 23;
  options.genes = 40;
  options.seed = 5;
  options.out_dir = dir.string();
  options.progress = false;
  options.rows_per_turn = 4;  // several turns
  const auto summary = write_synthetic_dataset(options, mpi::Comm::self());

  const SynthModel model(5, 23, 40);
  std::string expected = "";
  for (std::int64_t g = 0; g < 40; ++g) expected += ",gene_" + std::to_string(g);
  expected += "\n";
  for (std::int64_t i = 0; i < 23; ++i) model.append_row(i, expected);
  const std::string expression = read_file(dir / "expression.csv");
  EXPECT_EQ(expression, expected);

  std::string labels = ",Class\n";
  for (std::int64_t i = 0; i < 23; ++i)
    labels += "sample_" + std::to_string(i) + "," + kSynthClasses[model.sample_class(i)] + "\n";
  EXPECT_EQ(read_file(dir / "labels.csv"), labels);
  EXPECT_EQ(summary.bytes, static_cast<std::int64_t>(expression.size() + labels.size()));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
  fs::remove_all(dir.parent_path());
}

TEST(SynthWrite, UnusableDirectoryIsAnError) {
  const fs::path base = fs::temp_directory_path() / "pancan_synth_fail";
  fs::remove_all(base);
  fs::create_directories(base);
  std::ofstream(base / "a_file") << "x";
  SynthOptions options;
  options.samples = 10;
  options.genes = 5;
  options.progress = false;
  options.out_dir = (base / "a_file" / "out").string();  // cannot be a directory
  EXPECT_THROW(write_synthetic_dataset(options, mpi::Comm::self()), Error);
  options.out_dir = "";
  EXPECT_THROW(write_synthetic_dataset(options, mpi::Comm::self()), UsageError);
  fs::remove_all(base);
}

}  // namespace
}  // namespace pancan
