// The AnnData-compatible HDF5 file (.h5ad) that `pancan convert` writes and every later
// stage reads: /X (samples x genes, float32, chunked), /obs (sample ids, label column as
// a categorical), /var (gene ids), /uns (provenance). Layout: DESIGN.md "HDF5 layout".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pancan/h5.hpp"
#include "pancan/mpi.hpp"

namespace pancan {

// Everything in a dataset file except the matrix itself.
struct DatasetInfo {
  std::string path;
  std::int64_t samples = 0;
  std::int64_t genes = 0;
  std::vector<std::string> sample_ids;  // obs index, file order
  std::vector<std::string> gene_ids;    // var index, file order
  std::string label_column;             // e.g. "Class"
  std::vector<std::string> classes;     // categories, sorted (as pandas does)
  std::vector<std::int32_t> labels;     // per sample: index into classes
};

// --- writing (pancan convert) -----------------------------------------------------------
//
// A dataset file is written in two collective steps so that no rank ever holds more than
// its own rows: create_dataset_file() writes every piece of metadata from rank 0 (ids,
// the label categorical, provenance) and an unwritten /X; then a MatrixWriter opens the
// file with MPI-IO on every rank and each rank writes its own hyperslab of /X.
// (Variable-length strings cannot be written through MPI-IO, hence the serial first step.)

// The chunk shape of /X: kMatrixChunkRows x kMatrixChunkGenes float32 = 256 KiB, clamped
// to the matrix. 64 rows x 1024 genes lets a block of rows (a training shard) and a block
// of genes (the per-gene statistics of `prepare`) each be read by touching only the
// chunks that hold them: reading all genes of 64 rows or all samples of 1024 genes reads
// no byte it does not return; the chunk is large enough for efficient I/O and gzip.
inline constexpr std::int64_t kMatrixChunkRows = 64;
inline constexpr std::int64_t kMatrixChunkGenes = 1024;
std::vector<std::int64_t> matrix_chunk(std::int64_t samples, std::int64_t genes);

struct DatasetFileOptions {
  int compression = 0;  // gzip level of /X, 0-9 (0 = none)
  // Written under /uns/pancan as strings (e.g. {"expression", "data.csv"}), for provenance.
  std::vector<std::pair<std::string, std::string>> provenance;
};

// Creates `path` (truncating): the h5ad layout of DESIGN.md with info's ids and labels and
// an unwritten info.samples x info.genes /X. Serial: call it on one rank only. `info`
// must be consistent (sizes, classes sorted, labels index into classes).
void create_dataset_file(const std::string& path, const DatasetInfo& info,
                         const DatasetFileOptions& options);

// Writes /X of a file made by create_dataset_file, in parallel. Every rank of `comm`
// constructs it, calls write_block the same number of times (collective; a rank with
// nothing to write passes empty ranges) and close().
class MatrixWriter {
 public:
  MatrixWriter(const std::string& path, const mpi::Comm& comm);
  // X[rows, cols] = values (row-major, rows.size() x cols.size()).
  void write_block(mpi::Range rows, mpi::Range cols, std::span<const float> values);
  void close();  // collective; reports a failed final flush

 private:
  h5::File file_;
  std::optional<h5::DataSet> x_;
};

// --- reading --------------------------------------------------------------------------

// Reads ids, labels and shape (small metadata; any rank, serial open). Throws an Error
// that says "not a pancan dataset (run pancan convert)" for a file without /X, /obs, /var.
DatasetInfo read_dataset_info(const std::string& path);

// Reads X[rows.begin:rows.end, cols.begin:cols.end] into `out` (row-major, rows.size() x
// cols.size()). With a parallel file every rank calls (an empty range is allowed).
void read_block(const h5::DataSet& x, mpi::Range rows, mpi::Range cols, std::span<float> out);

}  // namespace pancan
