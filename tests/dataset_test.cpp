// The dataset file: what create_dataset_file + MatrixWriter write, read_dataset_info and
// read_block read back (serial, one-rank communicator). The h5ad layout itself is
// checked against anndata in tests/cli/convert_anndata.sh.
#include "pancan/dataset.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace pancan {
namespace {

// A per-process scratch directory, removed when the test program ends.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("pancan-dataset-test-" + std::to_string(::getpid()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

std::string scratch_file(const std::string& name) {
  static ScratchDir dir;
  return (dir.path / name).string();
}

DatasetInfo small_info(const std::string& path, std::int64_t samples, std::int64_t genes) {
  DatasetInfo info;
  info.path = path;
  info.samples = samples;
  info.genes = genes;
  for (std::int64_t i = 0; i < samples; ++i) info.sample_ids.push_back("s" + std::to_string(i));
  for (std::int64_t j = 0; j < genes; ++j) info.gene_ids.push_back("gene_" + std::to_string(j));
  info.label_column = "Class";
  info.classes = {"BRCA", "KIRC", "LUAD"};
  for (std::int64_t i = 0; i < samples; ++i) info.labels.push_back(static_cast<int>(i % 3));
  return info;
}

float value_at(std::int64_t row, std::int64_t col) { return static_cast<float>(row) * 0.5f - col; }

// Writes info with X[i][j] = value_at(i, j), in two row blocks and column halves to
// exercise hyperslabs.
void write_matrix(const DatasetInfo& info, int compression) {
  create_dataset_file(info.path, info, {compression, {{"expression", "e.csv"}}});
  MatrixWriter writer(info.path, mpi::Comm::self());
  const std::int64_t half = info.genes / 2;
  for (auto cols : {mpi::Range{0, half}, mpi::Range{half, info.genes}}) {
    std::vector<float> block;
    for (std::int64_t i = 0; i < info.samples; ++i)
      for (std::int64_t j = cols.begin; j < cols.end; ++j) block.push_back(value_at(i, j));
    writer.write_block({0, info.samples}, cols, block);
  }
  writer.write_block({0, 0}, {0, 0}, {});
  writer.close();
}

TEST(Dataset, ChunkIsClampedToTheMatrix) {
  EXPECT_EQ(matrix_chunk(801, 20531), (std::vector<std::int64_t>{64, 1024}));
  EXPECT_EQ(matrix_chunk(38, 500), (std::vector<std::int64_t>{38, 500}));
}

TEST(Dataset, WrittenInfoAndValuesReadBack) {
  for (int compression : {0, 4}) {
    const auto path = scratch_file("roundtrip" + std::to_string(compression) + ".h5ad");
    const auto info = small_info(path, 130, 2100);  // several chunks in both directions
    write_matrix(info, compression);

    const DatasetInfo back = read_dataset_info(path);
    EXPECT_EQ(back.samples, 130);
    EXPECT_EQ(back.genes, 2100);
    EXPECT_EQ(back.sample_ids, info.sample_ids);
    EXPECT_EQ(back.gene_ids, info.gene_ids);
    EXPECT_EQ(back.label_column, "Class");
    EXPECT_EQ(back.classes, info.classes);
    EXPECT_EQ(back.labels, info.labels);

    h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
    h5::DataSet x = file.root().open_dataset("X");
    const mpi::Range rows{63, 70}, cols{1000, 1030};  // straddles chunk boundaries
    std::vector<float> block(static_cast<std::size_t>(rows.size() * cols.size()));
    read_block(x, rows, cols, block);
    for (std::int64_t i = 0; i < rows.size(); ++i)
      for (std::int64_t j = 0; j < cols.size(); ++j)
        ASSERT_EQ(block[static_cast<std::size_t>(i * cols.size() + j)],
                  value_at(rows.begin + i, cols.begin + j));
    read_block(x, {5, 5}, {0, 10}, {});  // empty ranges are allowed
  }
}

TEST(Dataset, LayoutCarriesAnnDataEncodings) {
  const auto path = scratch_file("layout.h5ad");
  write_matrix(small_info(path, 4, 3), 0);
  h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
  h5::Group root = file.root();
  EXPECT_EQ(root.string_attribute("encoding-type"), "anndata");
  for (const auto& name : root.children()) {
    const std::vector<std::string> allowed = {"X",    "obs",  "var",  "uns", "layers",
                                              "obsm", "obsp", "varm", "varp"};
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), name), allowed.end()) << name;
  }
  h5::Group obs = root.open_group("obs");
  EXPECT_EQ(obs.string_attribute("encoding-type"), "dataframe");
  EXPECT_EQ(obs.string_array_attribute("column-order"), std::vector<std::string>{"Class"});
  EXPECT_TRUE(root.open_group("var").string_array_attribute("column-order").empty());
  h5::Group label = obs.open_group("Class");
  EXPECT_EQ(label.string_attribute("encoding-type"), "categorical");
  EXPECT_EQ(label.open_dataset("codes").string_attribute("encoding-type"), "array");
  EXPECT_EQ(root.open_dataset("X").string_attribute("encoding-type"), "array");
  EXPECT_EQ(root.open_group("uns").open_group("pancan").read_string_scalar("expression"), "e.csv");
}

TEST(Dataset, ForeignFilesAreRejectedWithAHint) {
  const auto path = scratch_file("not-hdf5.h5ad");
  std::ofstream(path) << "a,b\n1,2\n";
  try {
    read_dataset_info(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a pancan dataset (run pancan convert)"),
              std::string::npos)
        << e.what();
  }
  const auto empty = scratch_file("empty.h5");
  h5::File::create(empty).close();
  EXPECT_THROW(read_dataset_info(empty), Error);
  EXPECT_THROW(read_dataset_info(scratch_file("missing.h5ad")), Error);
}

TEST(Dataset, InconsistentDescriptionsAreRefused) {
  auto info = small_info(scratch_file("bad.h5ad"), 4, 3);
  info.classes = {"b", "a", "c"};
  EXPECT_THROW(create_dataset_file(info.path, info, {}), Error);
  info = small_info(info.path, 4, 3);
  info.labels[2] = 7;
  EXPECT_THROW(create_dataset_file(info.path, info, {}), Error);
}

}  // namespace
}  // namespace pancan
