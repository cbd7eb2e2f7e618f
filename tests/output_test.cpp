// Output paths: the early check of --out, and replacing a file in one step.
#include "pancan/output.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pancan/error.hpp"

namespace pancan {
namespace {

namespace fs = std::filesystem;

fs::path scratch_dir(const std::string& name) {
  const auto dir =
      fs::temp_directory_path() / ("pancan_output_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Output, ReplaceFileSwapsInTheNewFileAndRemovesTheOld) {
  const auto dir = scratch_dir("replace");
  std::ofstream(dir / "model.h5") << "old";
  std::ofstream(dir / "model.h5.tmp") << "new";
  std::error_code error;
  replace_file((dir / "model.h5.tmp").string(), (dir / "model.h5").string(), error);
  EXPECT_FALSE(error) << error.message();
  EXPECT_EQ(contents(dir / "model.h5"), "new");
  EXPECT_FALSE(fs::exists(dir / "model.h5.tmp"));  // the old file went with it
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(Output, ReplaceFileMovesWhenThereIsNothingToReplace) {
  const auto dir = scratch_dir("move");
  std::ofstream(dir / "a.tmp") << "first";
  std::error_code error;
  replace_file((dir / "a.tmp").string(), (dir / "a").string(), error);
  EXPECT_FALSE(error) << error.message();
  EXPECT_EQ(contents(dir / "a"), "first");
  EXPECT_FALSE(fs::exists(dir / "a.tmp"));
  fs::remove_all(dir);
}

TEST(Output, ReplaceFileNeverSwapsADirectoryAway) {
  const auto dir = scratch_dir("directory");
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out" / "kept") << "x";
  std::ofstream(dir / "new.tmp") << "new";
  std::error_code error;
  replace_file((dir / "new.tmp").string(), (dir / "out").string(), error);
  EXPECT_TRUE(error);  // rename's own error, as before
  EXPECT_TRUE(fs::exists(dir / "out" / "kept"));
  EXPECT_EQ(contents(dir / "new.tmp"), "new");
  fs::remove_all(dir);
}

TEST(Output, ReplaceFileReportsAMissingSource) {
  const auto dir = scratch_dir("missing");
  std::ofstream(dir / "target") << "old";
  std::error_code error;
  replace_file((dir / "absent.tmp").string(), (dir / "target").string(), error);
  EXPECT_TRUE(error);
  EXPECT_EQ(contents(dir / "target"), "old");
  fs::remove_all(dir);
}

TEST(Output, CheckOutputPathNamesTheProblem) {
  const auto dir = scratch_dir("check");
  EXPECT_NO_THROW(check_output_path((dir / "x.h5").string()));
  try {
    check_output_path((dir / "no-such-dir" / "x.h5").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_output_path(dir.string()), Error);  // a directory
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pancan
