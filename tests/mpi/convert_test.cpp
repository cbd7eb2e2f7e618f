// Parallel conversion: /X written by every rank's own rows holds the same values, ids and
// labels whatever the number of ranks, the input layout (CSV, TSV, genes-as-rows, gzip,
// CRLF with blank lines) gives the same file, and an error on any rank reaches all ranks.
#include "pancan/convert.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pancan/dataset.hpp"

namespace pancan {
namespace {

// One file name for all ranks (rank 0's pid), in the system temp directory.
std::string shared_path(const mpi::Comm& comm, const std::string& stem) {
  const long pid = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
  return "/tmp/pancan-convert-test-" + std::to_string(pid) + "-" + stem + ".h5ad";
}

float value_at(std::int64_t row, std::int64_t col) { return static_cast<float>(row * 7 - col) / 4; }

TEST(MatrixWriter, RanksWriteTheirOwnRows) {
  const auto world = mpi::Comm::world();
  for (int compression : {0, 3}) {
    const auto path = shared_path(world, "rows" + std::to_string(compression));
    DatasetInfo info;
    info.samples = 150;  // 3 row chunks, split over ranks unaligned to them
    info.genes = 1500;
    for (int i = 0; i < info.samples; ++i) info.sample_ids.push_back("s" + std::to_string(i));
    for (int j = 0; j < info.genes; ++j) info.gene_ids.push_back("g" + std::to_string(j));
    info.label_column = "Class";
    info.classes = {"a", "b"};
    info.labels.assign(static_cast<std::size_t>(info.samples), 1);
    info.path = path;
    mpi::agree(world, [&] {
      if (world.is_root()) create_dataset_file(path, info, {compression, {}});
    });

    const auto rows = mpi::block_range(info.samples, world.size(), world.rank());
    std::vector<float> mine;
    for (auto i = rows.begin; i < rows.end; ++i)
      for (std::int64_t j = 0; j < info.genes; ++j) mine.push_back(value_at(i, j));
    MatrixWriter writer(path, world);
    writer.write_block(rows, {0, info.genes}, mine);
    writer.close();
    world.barrier();

    // Every rank reads a block that straddles other ranks' rows.
    h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
    const h5::DataSet x = file.root().open_dataset("X");
    const mpi::Range read_rows{10, 140}, read_cols{1000, 1100};
    std::vector<float> block(static_cast<std::size_t>(read_rows.size() * read_cols.size()));
    read_block(x, read_rows, read_cols, block);
    for (std::int64_t i = 0; i < read_rows.size(); ++i)
      for (std::int64_t j = 0; j < read_cols.size(); ++j)
        ASSERT_EQ(block[static_cast<std::size_t>(i * read_cols.size() + j)],
                  value_at(read_rows.begin + i, read_cols.begin + j));
    world.barrier();
    if (world.is_root()) std::remove(path.c_str());
  }
}

// --- pancan convert on the Golub data ------------------------------------------------------

const std::string kGolub = std::string(PANCAN_TEST_DATA) + "/golub/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::vector<std::string>> split_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

// The Golub expression table written in another layout (by rank 0, into `dir`).
void write_variants(const std::string& dir) {
  const std::string csv = slurp(kGolub + "expression.csv");
  const auto rows = split_csv(csv);
  std::string tsv = csv;
  std::replace(tsv.begin(), tsv.end(), ',', '\t');
  std::ofstream(dir + "/expression.tsv") << tsv;
  std::string crlf;  // CRLF line ends, quoted ids, "X" as first header cell, blank lines
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c)
      crlf += (c ? "," : "") + (c == 0 && r == 0   ? std::string("X")
                                : c == 0 || r == 0 ? "\"" + rows[r][c] + "\""
                                                   : rows[r][c]);
    crlf += r % 7 == 3 ? "\r\n\r\n" : "\r\n";
  }
  std::ofstream(dir + "/expression_crlf.csv") << crlf;
  std::string transposed;  // genes as rows
  for (std::size_t c = 0; c < rows[0].size(); ++c) {
    for (std::size_t r = 0; r < rows.size(); ++r)
      transposed += (r ? "," : "") + (c == 0 && r == 0 ? std::string("gene") : rows[r][c]);
    transposed += "\n";
  }
  std::ofstream(dir + "/expression_genes.csv") << transposed;
  gzFile gz = gzopen((dir + "/expression.csv.gz").c_str(), "wb6");
  gzwrite(gz, csv.data(), static_cast<unsigned>(csv.size()));
  gzclose(gz);
  std::string bad = csv;  // a non-number in the last row: found by the last rank
  bad.replace(bad.rfind(',') + 1, std::string::npos, "oops\n");
  std::ofstream(dir + "/expression_bad.csv") << bad;
}

struct Contents {
  DatasetInfo info;
  std::vector<float> x;
};

Contents contents(const std::string& path) {
  Contents c{read_dataset_info(path), {}};
  h5::File file = h5::File::open(path, h5::Mode::ReadOnly);
  c.x = file.root().open_dataset("X").read_all<float>();
  return c;
}

class ConvertGolub : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/pancan-convert-test-" + std::to_string(comm_.broadcast<std::int64_t>(::getpid()));
    mpi::agree(comm_, [&] {
      if (!comm_.is_root()) return;
      std::filesystem::create_directories(dir_);
      write_variants(dir_);
      ConvertOptions serial;  // the reference: one rank, the plain CSV
      serial.expression = kGolub + "expression.csv";
      serial.labels = kGolub + "labels.csv";
      serial.out = dir_ + "/reference.h5ad";
      convert(serial, mpi::Comm::self());
    });
  }
  void TearDown() override {
    comm_.barrier();
    if (comm_.is_root()) std::filesystem::remove_all(dir_);
  }
  mpi::Comm comm_ = mpi::Comm::world();
  std::string dir_;
};

TEST_F(ConvertGolub, EveryLayoutAndRankCountGivesTheSameFile) {
  struct Variant {
    std::string file;
    csv::Orientation orientation;
  };
  const std::vector<Variant> variants = {
      {kGolub + "expression.csv", csv::Orientation::SamplesAsRows},
      {dir_ + "/expression.tsv", csv::Orientation::SamplesAsRows},
      {dir_ + "/expression_crlf.csv", csv::Orientation::SamplesAsRows},
      {dir_ + "/expression_genes.csv", csv::Orientation::GenesAsRows},
      {dir_ + "/expression.csv.gz", csv::Orientation::SamplesAsRows}};
  const Contents reference = contents(dir_ + "/reference.h5ad");
  ASSERT_EQ(reference.info.samples, 38);
  ASSERT_EQ(reference.info.genes, 3051);
  EXPECT_EQ(reference.info.classes, (std::vector<std::string>{"ALL", "AML"}));
  for (const auto& variant : variants) {
    ConvertOptions options;
    options.expression = variant.file;
    options.labels = kGolub + "labels.csv";
    options.orientation = variant.orientation;
    options.out = dir_ + "/parallel.h5ad";
    options.gzip_block_bytes = 64 << 10;  // many blocks, so every rank gets some
    const ConvertSummary summary = convert(options, comm_);
    EXPECT_EQ(summary.samples, 38);
    const Contents got = contents(options.out);
    EXPECT_EQ(got.info.sample_ids, reference.info.sample_ids) << variant.file;
    EXPECT_EQ(got.info.gene_ids, reference.info.gene_ids) << variant.file;
    EXPECT_EQ(got.info.classes, reference.info.classes) << variant.file;
    EXPECT_EQ(got.info.labels, reference.info.labels) << variant.file;
    EXPECT_TRUE(got.x == reference.x) << variant.file;
    comm_.barrier();
  }
}

TEST_F(ConvertGolub, AnErrorOnTheLastRankStopsEveryRank) {
  ConvertOptions options;
  options.expression = dir_ + "/expression_bad.csv";
  options.labels = kGolub + "labels.csv";
  options.out = dir_ + "/bad.h5ad";
  try {
    convert(options, comm_);
    FAIL() << "no error";
  } catch (const mpi::CollectiveError& e) {
    EXPECT_EQ(e.origin_rank(), comm_.size() - 1);
    const std::string message = e.what();
    EXPECT_EQ(message.substr(0, options.expression.size() + 4), options.expression + ":39:");
    EXPECT_NE(message.find("'oops' is not a number (gene "), std::string::npos) << message;
  }
  comm_.barrier();
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find("bad.h5ad"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace pancan
