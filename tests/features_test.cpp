// Reading a preparation back and streaming scaled feature rows (features.hpp).
#include "pancan/features.hpp"

#include <gtest/gtest.h>

#include "pancan/error.hpp"
#include "pancan/prepare.hpp"
#include "prepare_test_data.hpp"

namespace pancan {
namespace {

using testing_data::make_test_matrix;
using testing_data::ScratchDir;
using testing_data::TestMatrix;
using testing_data::write_test_dataset;

class Features : public ::testing::Test {
 protected:
  void SetUp() override {
    matrix_ = make_test_matrix(150, 300);
    path_ = dir_.file("data.h5ad");
    write_test_dataset(path_, matrix_, self_);
    PrepareOptions options;
    options.data = path_;
    options.quantile = 0.7;
    prepare(options, self_);
  }
  float x(std::int64_t row, std::int64_t gene) const {
    return matrix_.values[static_cast<std::size_t>(row * matrix_.info.genes + gene)];
  }
  mpi::Comm self_ = mpi::Comm::self();
  ScratchDir dir_{self_, "features-unit"};
  TestMatrix matrix_;
  std::string path_;
};

TEST_F(Features, PreparationReadsBackConsistently) {
  const auto prep = read_preparation(path_);
  EXPECT_EQ(prep.dataset.samples, 150);
  EXPECT_EQ(prep.split.size(), 150u);
  // 0.7-quantile of 300 variances: the 90 largest (no ties at the threshold here).
  EXPECT_EQ(prep.selected.size(), 90u);
  EXPECT_TRUE(std::is_sorted(prep.selected.begin(), prep.selected.end()));
  ASSERT_EQ(prep.genes.size(), prep.selected.size());
  for (std::size_t k = 0; k < prep.selected.size(); ++k) {
    EXPECT_EQ(prep.genes[k], "g" + std::to_string(prep.selected[k]));
    EXPECT_LE(prep.minimum[k], prep.maximum[k]);
  }
  const auto train = split_rows(prep, Split::Train),
             validation = split_rows(prep, Split::Validation), test = split_rows(prep, Split::Test);
  EXPECT_EQ(train.size() + validation.size() + test.size(), 150u);
  EXPECT_GT(test.size(), 40u);
  EXPECT_GT(validation.size(), 15u);
}

TEST_F(Features, TrainingRowsScaleIntoTheUnitIntervalTestRowsAreNotClipped) {
  const auto prep = read_preparation(path_);
  const auto train = split_rows(prep, Split::Train);
  const auto block = read_features(prep, train);
  ASSERT_EQ(block.rows, static_cast<std::int64_t>(train.size()));
  ASSERT_EQ(block.cols, static_cast<std::int64_t>(prep.selected.size()));
  for (std::int64_t c = 0; c < block.cols; ++c) {
    float lo = 1, hi = 0;
    for (std::int64_t r = 0; r < block.rows; ++r) {
      const float v = block.values[static_cast<std::size_t>(r * block.cols + c)];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      // Against (x - min) / (max - min) in double.
      const double raw =
          x(train[static_cast<std::size_t>(r)], prep.selected[static_cast<std::size_t>(c)]);
      const double want = (raw - prep.minimum[static_cast<std::size_t>(c)]) /
                          (static_cast<double>(prep.maximum[static_cast<std::size_t>(c)]) -
                           prep.minimum[static_cast<std::size_t>(c)]);
      ASSERT_NEAR(v, want, 1e-5) << "row " << r << " col " << c;
    }
    EXPECT_EQ(lo, 0.0f);  // the fit rows' own minimum and maximum
    EXPECT_EQ(hi, 1.0f);
  }
  for (std::int64_t r = 0; r < block.rows; ++r)
    EXPECT_EQ(block.labels[static_cast<std::size_t>(r)],
              matrix_.info.labels[static_cast<std::size_t>(train[static_cast<std::size_t>(r)])]);

  // Test rows were not in the fit: some fall outside [0, 1] and stay there.
  const auto test = read_features(prep, split_rows(prep, Split::Test));
  const auto [lo, hi] = std::minmax_element(test.values.begin(), test.values.end());
  EXPECT_LT(*lo, 0.0f);
  EXPECT_GT(*hi, 1.0f);
}

TEST_F(Features, StreamingInSmallBlocksGivesTheSameRows) {
  const auto prep = read_preparation(path_);
  const auto rows = split_rows(prep, Split::Test);
  const auto all = read_features(prep, rows);
  std::vector<float> streamed;
  std::int64_t expected_first = 0;
  stream_features(prep, rows, 7, [&](const FeatureBlock& block, std::int64_t first) {
    EXPECT_EQ(first, expected_first);
    EXPECT_LE(block.rows, 7);
    expected_first += block.rows;
    streamed.insert(streamed.end(), block.values.begin(), block.values.end());
  });
  EXPECT_EQ(expected_first, static_cast<std::int64_t>(rows.size()));
  EXPECT_EQ(streamed, all.values);
}

TEST_F(Features, RejectsRowsOutOfOrderOrRange) {
  const auto prep = read_preparation(path_);
  const std::vector<std::int64_t> unsorted = {5, 3}, outside = {1, 150};
  EXPECT_THROW(read_features(prep, unsorted), Error);
  EXPECT_THROW(read_features(prep, outside), Error);
}

TEST(FeaturesPlain, UnpreparedFileSaysToRunPrepare) {
  const auto self = mpi::Comm::self();
  ScratchDir dir(self, "features-unprepared");
  const auto path = dir.file("raw.h5ad");
  write_test_dataset(path, make_test_matrix(10, 4), self);
  try {
    read_preparation(path);
    FAIL() << "read_preparation accepted a file without a preparation";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run pancan prepare"), std::string::npos) << e.what();
  }
}

TEST(FeaturesPlain, ScaleMinMaxConstantColumnsMapToZero) {
  std::vector<float> values = {1, 5, 7, 2, 5, 9, 3, 5, 11};  // 3 rows x 3 columns
  const std::vector<float> lo = {1, 5, 7}, hi = {3, 5, 9};
  scale_min_max(values, lo, hi);
  EXPECT_EQ(values, (std::vector<float>{0, 0, 0, 0.5f, 0, 1, 1, 0, 2}));  // 11 -> 2: no clip
}

TEST(FeaturesPlain, RankSharesCoverEveryRowOnceInOrder) {
  std::vector<std::int64_t> rows = {2, 3, 5, 7, 11, 13, 17};
  for (int parts = 1; parts <= 9; ++parts) {
    std::vector<std::int64_t> joined;
    for (int part = 0; part < parts; ++part) {
      const auto share = rank_share(rows, parts, part);
      joined.insert(joined.end(), share.begin(), share.end());
    }
    EXPECT_EQ(joined, rows) << parts << " parts";
  }
}

}  // namespace
}  // namespace pancan
