// GoogleTest main for every pancan test executable: initialises MPI once, runs the tests
// on every rank, prints the usual output from rank 0 only and, from other ranks, only
// their failures; the run fails on every rank when any rank failed.
#include <gtest/gtest.h>

#include <cstdio>

#include "pancan/h5.hpp"
#include "pancan/mpi.hpp"

namespace {

// Prints a non-root rank's failed assertions, tagged with the rank.
class FailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.message());
  }
  void OnTestEnd(const testing::TestInfo& info) override {
    if (info.result()->Failed())
      std::fprintf(stderr, "[rank %d] FAILED %s.%s\n", rank_, info.test_suite_name(), info.name());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  pancan::mpi::Environment environment(argc, argv);
  pancan::h5::silence_library_errors();
  testing::InitGoogleTest(&argc, argv);
  const auto world = pancan::mpi::Comm::world();
  if (!world.is_root()) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(world.rank()));
  }
  const int local = RUN_ALL_TESTS();
  const int global = world.max(local);
  if (world.is_root() && global != local)
    std::fprintf(stderr, "FAILED on another rank (see [rank N] lines above)\n");
  return global;
}
