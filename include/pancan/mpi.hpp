// RAII over MPI and the few collectives pancan uses. No raw MPI_Comm leaves this header
// except through Comm::raw(), which only h5.cpp may call (to open files for MPI-IO).
#pragma once

#include <mpi.h>

#include <complex>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "pancan/error.hpp"

namespace pancan::mpi {

// Throws Error("MPI error in WHAT: <MPI's text>") when rc is not MPI_SUCCESS.
void check(int rc, const char* what);

// True when the launcher's environment says every rank of this job runs on one node
// (Open MPI's mpiexec, srun, or a singleton); false when it may span nodes or is unknown.
bool launched_on_one_node();

// Before MPI_Init, on one node: selects Open MPI's ob1 + shared-memory transports instead
// of UCX, whose start-up costs more than a small job's stages; prefers the ROMIO MPI-IO
// component to OMPIO (see open_matrix_for_writing in dataset.cpp); and a singleton skips
// hwloc's I/O-device discovery. Each choice the user made (OMPI_MCA_pml / OMPI_MCA_btl,
// OMPI_MCA_io / OMPI_MCA_io_ompio_priority, HWLOC_COMPONENTS) is left alone, and
// PANCAN_MPI_DEFAULTS=1 turns all of them off.
void choose_one_node_defaults();

// MPI_Init_thread / MPI_Finalize. One per process, in main() or a test main().
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

// The MPI datatype for a C++ arithmetic type.
template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return MPI_INT32_T;
  else if constexpr (std::is_same_v<T, std::uint32_t>)
    return MPI_UINT32_T;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return MPI_INT8_T;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return MPI_UINT8_T;
  else if constexpr (std::is_same_v<T, char>)
    return MPI_CHAR;
  else if constexpr (std::is_same_v<T, long long>)
    return MPI_LONG_LONG;
  else
    static_assert(sizeof(T) == 0, "no MPI datatype for this type");
}

// Half-open index range [begin, end).
struct Range {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

// The part-th of `parts` nearly equal contiguous blocks of [0, n): the first n % parts
// blocks get one extra element. Deterministic, so every rank can compute every block.
Range block_range(std::int64_t n, int parts, int part);

// A communicator (MPI_COMM_WORLD by default). Copyable view; does not own WORLD.
class Comm {
 public:
  static Comm world() { return Comm(MPI_COMM_WORLD); }
  // A communicator holding only this process (for serial code paths and tests).
  static Comm self() { return Comm(MPI_COMM_SELF); }

  int rank() const;
  int size() const;
  bool is_root() const { return rank() == 0; }
  void barrier() const;

  template <class T>
  void allreduce_sum(std::span<T> values) const {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), datatype<T>(),
                        MPI_SUM, comm_),
          "MPI_Allreduce(sum)");
  }
  template <class T>
  T allreduce(T value, MPI_Op op) const {
    check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, datatype<T>(), op, comm_), "MPI_Allreduce");
    return value;
  }
  template <class T>
  T sum(T value) const {
    return allreduce(value, MPI_SUM);
  }
  template <class T>
  T max(T value) const {
    return allreduce(value, MPI_MAX);
  }
  template <class T>
  T min(T value) const {
    return allreduce(value, MPI_MIN);
  }

  template <class T>
  void broadcast(std::span<T> values, int root = 0) const {
    check(MPI_Bcast(values.data(), static_cast<int>(values.size()), datatype<T>(), root, comm_),
          "MPI_Bcast");
  }
  template <class T>
  T broadcast(T value, int root = 0) const {
    broadcast(std::span<T>(&value, 1), root);
    return value;
  }
  void broadcast(std::string& text, int root = 0) const;
  void broadcast(std::vector<std::string>& texts, int root = 0) const;

  // One value from every rank, in rank order, on every rank.
  template <class T>
  std::vector<T> allgather(T value) const {
    std::vector<T> all(static_cast<std::size_t>(size()));
    check(MPI_Allgather(&value, 1, datatype<T>(), all.data(), 1, datatype<T>(), comm_),
          "MPI_Allgather");
    return all;
  }

  // Concatenation of every rank's `mine`, in rank order, on every rank.
  template <class T>
  std::vector<T> allgatherv(std::span<const T> mine) const {
    std::vector<int> counts, offsets;
    int total = layout(static_cast<int>(mine.size()), counts, offsets);
    std::vector<T> all(static_cast<std::size_t>(total));
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), datatype<T>(), all.data(),
                         counts.data(), offsets.data(), datatype<T>(), comm_),
          "MPI_Allgatherv");
    return all;
  }

  // Concatenation of every rank's `mine`, in rank order, on `root` (empty elsewhere).
  template <class T>
  std::vector<T> gatherv(std::span<const T> mine, int root = 0) const {
    std::vector<int> counts, offsets;
    int total = layout(static_cast<int>(mine.size()), counts, offsets);
    std::vector<T> all(rank() == root ? static_cast<std::size_t>(total) : 0);
    check(MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), datatype<T>(), all.data(),
                      counts.data(), offsets.data(), datatype<T>(), root, comm_),
          "MPI_Gatherv");
    return all;
  }

  // Sums `values` (the same length on every rank) over the ranks and hands each rank only
  // its block of the sum: rank r receives counts[r] elements, from offset counts[0] + ...
  // + counts[r-1], in `mine`. With allgather_blocks this is an allreduce in two halves,
  // between which each rank can work on its block alone (ZeRO-style sharded updates).
  template <class T>
  void reduce_scatter_sum(std::span<const T> values, std::span<T> mine,
                          const std::vector<int>& counts) const {
    check(MPI_Reduce_scatter(values.data(), mine.data(), counts.data(), datatype<T>(), MPI_SUM,
                             comm_),
          "MPI_Reduce_scatter(sum)");
  }

  // In place: every rank's block of `values` (blocks laid out as in reduce_scatter_sum)
  // is copied from its owner to every other rank.
  template <class T>
  void allgather_blocks(std::span<T> values, const std::vector<int>& counts) const {
    std::vector<int> offsets(counts.size(), 0);
    for (std::size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(), counts.data(),
                         offsets.data(), datatype<T>(), comm_),
          "MPI_Allgatherv(in place)");
  }

  // Personalised all-to-all: `send` holds, in rank order, send_counts[r] units of `unit`
  // elements for each rank r. Returns what every rank sent to this one, in rank order.
  // Counts are in units so that large rows (a unit = one feature row) cannot overflow
  // MPI's int counts.
  template <class T>
  std::vector<T> alltoallv(std::span<const T> send, const std::vector<std::int64_t>& send_counts,
                           std::int64_t unit = 1) const;

  // Point to point: `values` to rank `dest` (blocks until it is received or buffered).
  template <class T>
  void send(std::span<const T> values, int dest, int tag = 0) const {
    check(MPI_Send(values.data(), static_cast<int>(values.size()), datatype<T>(), dest, tag, comm_),
          "MPI_Send");
  }
  // The next message from rank `source` with `tag`, whatever its length.
  template <class T>
  std::vector<T> receive(int source, int tag = 0) const {
    MPI_Status status;
    check(MPI_Probe(source, tag, comm_, &status), "MPI_Probe");
    int count = 0;
    check(MPI_Get_count(&status, datatype<T>(), &count), "MPI_Get_count");
    std::vector<T> values(static_cast<std::size_t>(count));
    check(MPI_Recv(values.data(), count, datatype<T>(), source, tag, comm_, MPI_STATUS_IGNORE),
          "MPI_Recv");
    return values;
  }

  // Strings from every rank, in rank order, on every rank.
  std::vector<std::string> allgather_strings(const std::vector<std::string>& mine) const;

  // Ends every rank of the job at once (used when a rank fails outside a collective).
  [[noreturn]] void abort(int code) const;

  // For h5.cpp only: the handle HDF5's MPI-IO driver needs.
  MPI_Comm raw() const { return comm_; }

 private:
  explicit Comm(MPI_Comm comm) : comm_(comm) {}
  // Gathers every rank's count; fills counts/offsets; returns the total.
  int layout(int mine, std::vector<int>& counts, std::vector<int>& offsets) const;
  MPI_Comm comm_;
};

template <class T>
std::vector<T> Comm::alltoallv(std::span<const T> send,
                               const std::vector<std::int64_t>& send_counts,
                               std::int64_t unit) const {
  const int ranks = size();
  std::vector<std::int64_t> receive_counts(static_cast<std::size_t>(ranks));
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, receive_counts.data(), 1, MPI_INT64_T,
                     comm_),
        "MPI_Alltoall(counts)");
  std::vector<int> scounts(ranks), sdispls(ranks), rcounts(ranks), rdispls(ranks);
  std::int64_t sent = 0, received = 0;
  for (int r = 0; r < ranks; ++r) {
    if (sent > INT32_MAX || received > INT32_MAX || send_counts[r] > INT32_MAX ||
        receive_counts[r] > INT32_MAX)
      throw Error("alltoallv: more than 2^31 units in one exchange");
    sdispls[r] = static_cast<int>(sent);
    rdispls[r] = static_cast<int>(received);
    scounts[r] = static_cast<int>(send_counts[r]);
    rcounts[r] = static_cast<int>(receive_counts[r]);
    sent += send_counts[r];
    received += receive_counts[r];
  }
  if (sent * unit != static_cast<std::int64_t>(send.size()))
    throw Error("alltoallv: send counts do not add up to the send buffer");
  MPI_Datatype unit_type;
  check(MPI_Type_contiguous(static_cast<int>(unit), datatype<T>(), &unit_type),
        "MPI_Type_contiguous");
  check(MPI_Type_commit(&unit_type), "MPI_Type_commit");
  std::vector<T> out(static_cast<std::size_t>(received * unit));
  const int rc = MPI_Alltoallv(send.data(), scounts.data(), sdispls.data(), unit_type, out.data(),
                               rcounts.data(), rdispls.data(), unit_type, comm_);
  MPI_Type_free(&unit_type);
  check(rc, "MPI_Alltoallv");
  return out;
}

// True when every rank of `comm` runs on one node, so they can share memory.
bool on_one_node(const Comm& comm);

// Memory that every rank of a communicator reads and writes directly (an MPI-3 shared
// window; all ranks must be on one node): each rank contributes `bytes` of its own.
// On one node this replaces copying collectives by plain loads between two barriers.
class SharedWindow {
 public:
  SharedWindow(const Comm& comm, std::size_t bytes);  // collective
  ~SharedWindow();                                    // collective (every rank, together)
  SharedWindow(const SharedWindow&) = delete;
  SharedWindow& operator=(const SharedWindow&) = delete;
  // The block `rank` contributed.
  void* base(int rank) const { return bases_[static_cast<std::size_t>(rank)]; }
  // A barrier with memory fences: every rank's writes before it are visible to every rank
  // after it.
  void synchronize() const;

 private:
  MPI_Win window_;
  MPI_Comm comm_;
  std::vector<void*> bases_;
};

// A failure that every rank of a communicator agreed on: the message of the lowest
// failing rank, known to all ranks, so rank 0 alone prints it and all ranks exit cleanly.
class CollectiveError : public Error {
 public:
  CollectiveError(const std::string& message, int origin_rank, int exit_code)
      : Error(message), origin_rank_(origin_rank), exit_code_(exit_code) {}
  int origin_rank() const { return origin_rank_; }
  int exit_code() const { return exit_code_; }

 private:
  int origin_rank_;
  int exit_code_;
};

// Runs `work` on every rank, then agrees: if any rank threw, every rank throws a
// CollectiveError with the lowest failing rank's message. `work` must not itself call
// collectives that other ranks could skip by failing early; put those after agree().
template <class Work>
void agree(const Comm& comm, Work&& work);

// The non-template half of agree(): every rank passes its own failure (empty = none).
void agree_on_failure(const Comm& comm, const std::string& message, int exit_code);

template <class Work>
void agree(const Comm& comm, Work&& work) {
  std::string message;
  int code = kExitOk;
  try {
    work();
  } catch (const UsageError& e) {
    message = e.what();
    code = kExitUsage;
  } catch (const std::exception& e) {
    message = e.what();
    code = kExitError;
  }
  agree_on_failure(comm, message, code);
}

}  // namespace pancan::mpi
