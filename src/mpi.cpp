// MPI environment, communicator helpers and collective error agreement.
#include "pancan/mpi.hpp"

#include <cstdlib>
#include <exception>
#include <numeric>
#include <string>

namespace pancan::mpi {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(std::string("MPI error in ") + what + ": " + std::string(text, length));
}

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// No launcher's variables: a singleton.
bool started_without_launcher() {
  return env_or_empty("OMPI_COMM_WORLD_SIZE").empty() &&
         env_or_empty("SLURM_STEP_NUM_NODES").empty() && env_or_empty("PMIX_RANK").empty() &&
         env_or_empty("PMI_RANK").empty();
}

}  // namespace

bool launched_on_one_node() {
  const std::string world = env_or_empty("OMPI_COMM_WORLD_SIZE");
  const std::string local = env_or_empty("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!world.empty()) return world == local;  // Open MPI's mpiexec says how many share a node
  const std::string step_nodes = env_or_empty("SLURM_STEP_NUM_NODES");
  if (!step_nodes.empty()) return step_nodes == "1";  // srun
  // A singleton is one process on one node; an unknown launcher may span nodes, so its
  // defaults are kept.
  return started_without_launcher();
}

void choose_one_node_defaults() {
  if (env_or_empty("PANCAN_MPI_DEFAULTS") == "1" || !launched_on_one_node()) return;
  // Open MPI 4.1 picks the UCX point-to-point layer when it is installed; initialising it
  // costs ~0.2 s per launch (measured: `mpiexec -n 2 pancan --version` 0.33 s with it, 0.12 s
  // with ob1 + shared memory), more than whole stages of a small job. Ranks on one node
  // talk through shared memory either way.
  if (env_or_empty("OMPI_MCA_pml").empty() && env_or_empty("OMPI_MCA_btl").empty()) {
    setenv("OMPI_MCA_pml", "ob1", 0);
    setenv("OMPI_MCA_btl", "self,vader", 0);
  }
  // ROMIO can be told to let each rank write its own chunks of /X (open_matrix_for_writing
  // in dataset.cpp: 2-4x faster writes here); OMPIO has no such hint. Lowering OMPIO's
  // priority rather than naming ROMIO's component (romio321 in Open MPI 4.1) keeps OMPIO as
  // the fallback where ROMIO is not built.
  if (env_or_empty("OMPI_MCA_io").empty() && env_or_empty("OMPI_MCA_io_ompio_priority").empty())
    setenv("OMPI_MCA_io_ompio_priority", "1", 0);
  // A singleton starts its own Open MPI daemon, whose hardware discovery reads every PCI
  // device's configuration to place network cards (~0.1 s); a lone process needs none.
  // (Under mpiexec the launcher has already done this discovery: set it there.)
  if (started_without_launcher()) setenv("HWLOC_COMPONENTS", "-linuxio,-pci", 0);
}

Environment::Environment(int& argc, char**& argv) {
  choose_one_node_defaults();
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as return codes that check() turns into exceptions with context.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Range block_range(std::int64_t n, int parts, int part) {
  const std::int64_t base = n / parts, extra = n % parts;
  const std::int64_t begin = part * base + std::min<std::int64_t>(part, extra);
  return {begin, begin + base + (part < extra ? 1 : 0)};
}

int Comm::rank() const {
  int r = 0;
  check(MPI_Comm_rank(comm_, &r), "MPI_Comm_rank");
  return r;
}

int Comm::size() const {
  int s = 0;
  check(MPI_Comm_size(comm_, &s), "MPI_Comm_size");
  return s;
}

void Comm::barrier() const { check(MPI_Barrier(comm_), "MPI_Barrier"); }

void Comm::broadcast(std::string& text, int root) const {
  auto length = broadcast<std::int64_t>(static_cast<std::int64_t>(text.size()), root);
  text.resize(static_cast<std::size_t>(length));
  broadcast(std::span<char>(text.data(), text.size()), root);
}

void Comm::broadcast(std::vector<std::string>& texts, int root) const {
  auto count = broadcast<std::int64_t>(static_cast<std::int64_t>(texts.size()), root);
  texts.resize(static_cast<std::size_t>(count));
  for (auto& t : texts) broadcast(t, root);
}

int Comm::layout(int mine, std::vector<int>& counts, std::vector<int>& offsets) const {
  counts = allgather(mine);
  offsets.assign(counts.size(), 0);
  std::exclusive_scan(counts.begin(), counts.end(), offsets.begin(), 0);
  return std::accumulate(counts.begin(), counts.end(), 0);
}

std::vector<std::string> Comm::allgather_strings(const std::vector<std::string>& mine) const {
  // Pack as lengths + bytes, gather both, unpack.
  std::vector<std::int64_t> lengths;
  std::string bytes;
  for (const auto& s : mine) {
    lengths.push_back(static_cast<std::int64_t>(s.size()));
    bytes += s;
  }
  auto all_lengths = allgatherv<std::int64_t>(lengths);
  auto all_bytes = allgatherv<char>(std::span<const char>(bytes.data(), bytes.size()));
  std::vector<std::string> out;
  out.reserve(all_lengths.size());
  std::size_t at = 0;
  for (auto len : all_lengths) {
    out.emplace_back(all_bytes.data() + at, static_cast<std::size_t>(len));
    at += static_cast<std::size_t>(len);
  }
  return out;
}

void Comm::abort(int code) const {
  MPI_Abort(comm_, code);
  std::abort();  // MPI_Abort does not return; this satisfies [[noreturn]].
}

void agree_on_failure(const Comm& comm, const std::string& message, int exit_code) {
  const int failed = message.empty() ? 0 : 1;
  if (comm.max(failed) == 0) return;
  // The lowest failing rank tells everyone what went wrong.
  const int origin = comm.min(failed ? comm.rank() : comm.size());
  std::string text = message;
  comm.broadcast(text, origin);
  const int code = comm.broadcast(exit_code, origin);
  throw CollectiveError(text, origin, code);
}

bool on_one_node(const Comm& comm) {
  MPI_Comm node;
  check(MPI_Comm_split_type(comm.raw(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type(shared)");
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  // Every rank must agree (one node for one rank means one node for all).
  return comm.min(node_size == comm.size() ? 1 : 0) == 1;
}

SharedWindow::SharedWindow(const Comm& comm, std::size_t bytes) : comm_(comm.raw()) {
  void* mine = nullptr;
  check(MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes), 1, MPI_INFO_NULL, comm_, &mine,
                                &window_),
        "MPI_Win_allocate_shared");
  // One passive-target epoch for the window's life: MPI_Win_sync needs it.
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
  bases_.resize(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    check(MPI_Win_shared_query(window_, r, &size, &unit, &bases_[static_cast<std::size_t>(r)]),
          "MPI_Win_shared_query");
  }
}

SharedWindow::~SharedWindow() {
  // Freeing a window is collective. While this rank unwinds from a failure of its own,
  // the others may wait in some other collective: freeing here would hang the job instead
  // of letting main() end it (MPI_Abort). The process is ending then; the OS frees it all.
  if (std::uncaught_exceptions() > 0) return;
  MPI_Win_unlock_all(window_);
  MPI_Win_free(&window_);
}

void SharedWindow::synchronize() const {
  check(MPI_Win_sync(window_), "MPI_Win_sync");
  check(MPI_Barrier(comm_), "MPI_Barrier");
  check(MPI_Win_sync(window_), "MPI_Win_sync");
}

}  // namespace pancan::mpi
