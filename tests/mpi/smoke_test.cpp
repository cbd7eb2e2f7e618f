// MPI smoke test: the collectives pancan relies on, and agreement on a failure.
#include <gtest/gtest.h>

#include "pancan/mpi.hpp"

namespace pancan::mpi {
namespace {

TEST(MpiSmoke, AllreduceSumsOverRanks) {
  auto world = Comm::world();
  std::vector<double> values = {1.0, static_cast<double>(world.rank())};
  world.allreduce_sum(std::span<double>(values));
  const int p = world.size();
  EXPECT_DOUBLE_EQ(values[0], p);
  EXPECT_DOUBLE_EQ(values[1], p * (p - 1) / 2.0);
}

TEST(MpiSmoke, BlockRangesCoverEverythingOnce) {
  for (int parts = 1; parts <= 5; ++parts) {
    std::int64_t expected_begin = 0;
    for (int part = 0; part < parts; ++part) {
      auto r = block_range(17, parts, part);
      EXPECT_EQ(r.begin, expected_begin);
      EXPECT_GE(r.size(), 17 / parts);
      expected_begin = r.end;
    }
    EXPECT_EQ(expected_begin, 17);
  }
}

TEST(MpiSmoke, GathersKeepRankOrder) {
  auto world = Comm::world();
  std::vector<std::int64_t> mine(static_cast<std::size_t>(world.rank() + 1), world.rank());
  auto all = world.allgatherv<std::int64_t>(mine);
  std::size_t at = 0;
  for (int r = 0; r < world.size(); ++r)
    for (int i = 0; i <= r; ++i) EXPECT_EQ(all[at++], r);
  auto strings = world.allgather_strings({"rank" + std::to_string(world.rank())});
  ASSERT_EQ(static_cast<int>(strings.size()), world.size());
  EXPECT_EQ(strings.back(), "rank" + std::to_string(world.size() - 1));
}

TEST(MpiSmoke, AgreeReportsTheLowestFailingRankEverywhere) {
  auto world = Comm::world();
  const int failing = world.size() - 1;
  try {
    agree(world, [&] {
      if (world.rank() == failing) throw Error("boom on " + std::to_string(failing));
    });
    FAIL() << "agree() should have thrown on every rank";
  } catch (const CollectiveError& e) {
    EXPECT_EQ(e.origin_rank(), failing);
    EXPECT_EQ(std::string(e.what()), "boom on " + std::to_string(failing));
  }
  EXPECT_NO_THROW(agree(world, [] {}));
}

}  // namespace
}  // namespace pancan::mpi
