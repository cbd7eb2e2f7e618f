// prepare() on one rank: options validation, re-running, and that a failed run leaves the
// dataset file exactly as it was (the update is copy + rename).
#include "pancan/prepare.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pancan/error.hpp"
#include "pancan/features.hpp"
#include "pancan/h5.hpp"
#include "prepare_test_data.hpp"

namespace pancan {
namespace {

using testing_data::make_test_matrix;
using testing_data::ScratchDir;
using testing_data::write_test_dataset;

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(Prepare, ValidateNamesTheBadOption) {
  PrepareOptions ok;
  ok.data = "x.h5ad";
  EXPECT_NO_THROW(validate(ok));
  auto expect_usage = [](PrepareOptions o, const std::string& option) {
    try {
      validate(o);
      ADD_FAILURE() << "accepted bad --" << option;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--" + option), std::string::npos) << e.what();
    }
  };
  for (double q : {0.0, 1.0, -0.2, 1.5}) {
    auto o = ok;
    o.quantile = q;
    expect_usage(o, "quantile");
  }
  auto o = ok;
  o.fractions.test = 1.0;
  expect_usage(o, "test-fraction");
  o = ok;
  o.fractions.validation = -0.1;
  expect_usage(o, "validation-fraction");
  o = ok;
  o.data.clear();
  expect_usage(o, "data");
  o = ok;
  o.top_genes = 10;
  o.quantile = 5;  // ignored when --top-genes is given
  EXPECT_NO_THROW(validate(o));
  EXPECT_THROW(parse_fit_on("test"), UsageError);
  EXPECT_EQ(parse_fit_on("all"), FitOn::All);
}

TEST(Prepare, RerunReplacesTheEarlierResultAndStaysSmall) {
  const auto self = mpi::Comm::self();
  ScratchDir dir(self, "prepare-rerun");
  const auto path = dir.file("data.h5ad");
  write_test_dataset(path, make_test_matrix(60, 200), self);
  PrepareOptions options;
  options.data = path;
  prepare(options, self);
  const auto first_size = std::filesystem::file_size(path);
  EXPECT_EQ(read_preparation(path).selected.size(), 40u);
  options.top_genes = 17;
  options.fit_on = FitOn::All;
  const auto result = prepare(options, self);
  EXPECT_EQ(result.fit_rows, 60);
  EXPECT_EQ(read_preparation(path).selected.size(), 17u);
  EXPECT_LT(std::filesystem::file_size(path), first_size + 16384);
  EXPECT_FALSE(std::filesystem::exists(path + ".prepare-tmp"));
  h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
  auto stored = file.root().open_group("uns").open_group("pancan").open_group("prepare");
  EXPECT_EQ(stored.read_string_scalar("selection"), "top-genes");
  EXPECT_EQ(stored.read_scalar<std::int64_t>("top_genes"), 17);
  EXPECT_FALSE(stored.exists("quantile"));  // nothing left over from the first run
  EXPECT_EQ(stored.read_string_scalar("fit_on"), "all");
  // convert's own entries beside it are kept.
  EXPECT_TRUE(file.root().open_group("uns").open_group("pancan").exists("label_column"));
  const auto order = file.root().open_group("obs").string_array_attribute("column-order");
  EXPECT_EQ(std::count(order.begin(), order.end(), "split"), 1);
}

TEST(Prepare, FailedRunLeavesTheFileUntouched) {
  const auto self = mpi::Comm::self();
  ScratchDir dir(self, "prepare-failure");
  const auto path = dir.file("data.h5ad");
  write_test_dataset(path, make_test_matrix(30, 50), self);
  const auto before = bytes_of(path);
  PrepareOptions options;
  options.data = path;
  options.top_genes = 51;
  EXPECT_THROW(prepare(options, self), mpi::CollectiveError);
  EXPECT_EQ(bytes_of(path), before);

  // The temporary name is taken (a directory): the update fails before touching the file.
  std::filesystem::create_directories(path + ".prepare-tmp/blocker");
  options.top_genes = 0;
  try {
    prepare(options, self);
    ADD_FAILURE() << "prepare wrote although its temporary file could not be made";
  } catch (const mpi::CollectiveError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_EQ(bytes_of(path), before);
}

TEST(Prepare, TinyDatasetsKeepATrainingSampleOfEveryClass) {
  const auto self = mpi::Comm::self();
  ScratchDir dir(self, "prepare-tiny");
  const auto path = dir.file("data.h5ad");
  write_test_dataset(path, make_test_matrix(6, 5), self);
  PrepareOptions options;
  options.data = path;
  options.fractions = {0.9, 0.9};  // capped per class: one sample of each stays in training
  const auto result = prepare(options, self);
  std::set<std::int32_t> classes;
  const auto prep = read_preparation(path);
  for (auto row : split_rows(prep, Split::Train))
    classes.insert(prep.dataset.labels[static_cast<std::size_t>(row)]);
  EXPECT_EQ(classes.size(),
            std::set<std::int32_t>(prep.dataset.labels.begin(), prep.dataset.labels.end()).size());
  EXPECT_EQ(result.fit_rows, static_cast<std::int64_t>(classes.size()));
}

}  // namespace
}  // namespace pancan
