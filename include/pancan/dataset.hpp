// The AnnData-compatible HDF5 file (.h5ad) that `pancan convert` writes and every later
// stage reads: /X (samples x genes, float32, chunked), /obs (sample ids, label column as
// a categorical), /var (gene ids), /uns (provenance). Layout: DESIGN.md "HDF5 layout".
#pragma once

#include <cstdint>
#include <span>
#include <string>
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

// Reads ids, labels and shape (small metadata; any rank, serial open). Throws an Error
// that says "not a pancan dataset (run pancan convert)" for a file without /X, /obs, /var.
DatasetInfo read_dataset_info(const std::string& path);

// Reads X[rows.begin:rows.end, cols.begin:cols.end] into `out` (row-major, rows.size() x
// cols.size()). With a parallel file every rank calls (an empty range is allowed).
void read_block(const h5::DataSet& x, mpi::Range rows, mpi::Range cols, std::span<float> out);

}  // namespace pancan
