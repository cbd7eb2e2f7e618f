// Parallel synth writing: the bytes are those of the serial model for any number of
// ranks and any turn size, and a failure is agreed on by every rank (no hang).
#include "pancan/synth.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pancan/log.hpp"

namespace pancan {
namespace {

namespace fs = std::filesystem;

// A directory private to this run (ctest may run the 1..4-rank variants at once).
fs::path run_directory(const mpi::Comm& world, const std::string& name) {
  const auto pid = world.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
  return fs::temp_directory_path() /
         strprintf("pancan_mpi_synth_%s_%d_%lld", name.c_str(), world.size(), (long long)pid);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(MpiSynth, BytesAreTheSerialModelsForAnyTurnSize) {
  const auto world = mpi::Comm::world();
  const SynthModel model(99, 37, 123);
  std::string expected;
  for (std::int64_t g = 0; g < 123; ++g) expected += ",gene_" + std::to_string(g);
  expected += "\n";
  for (std::int64_t i = 0; i < 37; ++i) model.append_row(i, expected);

  for (std::int64_t rows_per_turn : {0, 1, 4, 100}) {
    const auto dir = run_directory(world, "turns" + std::to_string(rows_per_turn));
    SynthOptions options;
    options.samples = 37;
    options.genes = 123;
    options.seed = 99;
    options.out_dir = dir.string();
    options.progress = false;
    options.rows_per_turn = rows_per_turn;
    const auto summary = write_synthetic_dataset(options, world);
    EXPECT_EQ(summary.ranks, world.size());
    if (world.is_root()) {
      EXPECT_EQ(read_file(dir / "expression.csv"), expected) << "rows per turn " << rows_per_turn;
      EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
      fs::remove_all(dir);
    }
    world.barrier();
  }
}

TEST(MpiSynth, FailureIsAgreedOnByEveryRank) {
  const auto world = mpi::Comm::world();
  const auto base = run_directory(world, "fail");
  if (world.is_root()) {
    fs::create_directories(base);
    std::ofstream(base / "a_file") << "x";
  }
  world.barrier();
  SynthOptions options;
  options.samples = 10;
  options.genes = 5;
  options.progress = false;
  options.out_dir = (base / "a_file" / "out").string();
  EXPECT_THROW(write_synthetic_dataset(options, world), mpi::CollectiveError);
  world.barrier();
  if (world.is_root()) fs::remove_all(base);
}

}  // namespace
}  // namespace pancan
