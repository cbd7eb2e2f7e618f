// Delimited text tables (CSV/TSV) of gene expression, parsed in parallel.
//
// An expression table is a header line of column ids and then one line per row,
// `id,v1,...,vN` (the first header cell names the index and is ignored; it may be empty,
// quoted or e.g. `X`). Samples are rows (UCI PANCAN) or genes are rows (GDC, UCSC Xena).
// Numbers parse like strtod in the C locale; lines end in LF or CRLF; empty lines are
// skipped; fields may be double-quoted. Anything else is an InputError naming the file,
// line and column.
//
// read_table() is collective: with a plain file, each rank maps the file, takes a byte
// range, moves to the next line start and parses only its lines; with a gzip file, rank
// 0 decompresses and hands blocks of whole lines to the ranks in turn. No rank holds more
// than its own share of the text or of the parsed matrix.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pancan/mpi.hpp"

namespace pancan::csv {

enum class Separator { Auto, Comma, Tab };
enum class Orientation { SamplesAsRows, GenesAsRows };

// `auto`, `comma`, `tab` / `samples-as-rows`, `genes-as-rows` (UsageError otherwise).
Separator parse_separator(const std::string& text);
Orientation parse_orientation(const std::string& text);

// The separator character: the given one, or for Auto the more frequent of tab and comma
// in the header line (comma when neither or a tie).
char resolve_separator(Separator separator, std::string_view header_line);

// The cells of one line (quotes removed, "" inside quotes = "), each with its 1-based byte
// column, for headers and small string tables. `line` excludes the line end.
struct Cells {
  std::vector<std::string> values;
  std::vector<std::int64_t> columns;
};
Cells split_line(std::string_view line, char separator, const std::string& file,
                 std::int64_t line_number);

// Lines and non-empty lines ("rows") in text that starts at a line start. A final line
// without a line end counts.
struct LineCount {
  std::int64_t lines = 0;
  std::int64_t rows = 0;
};
LineCount count_lines(std::string_view text);

// One number field as parse_block reads it (the double it rounds to float): strtod's value
// in the C locale, blanks and quotes around it allowed; nullopt when it is not a number.
std::optional<double> parse_number_field(std::string_view field);

// Whole lines of a file, and where they lie in it.
struct Block {
  std::string_view text;
  std::int64_t first_line = 1;  // file line number of text's first line
  std::int64_t first_row = 0;   // data row index of its first non-empty line
  std::int64_t rows = 0;        // its non-empty lines (count_lines(text).rows)
};

// What the numeric columns of a table are called, for messages.
struct Columns {
  const std::vector<std::string>* ids = nullptr;  // one per value column
  const char* noun = "column";                    // "gene" or "sample"
};

// The parsed rows of one block: ids and values.
struct ParsedBlock {
  std::int64_t first_row = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::string> ids;     // per row, the first field
  std::vector<std::int64_t> lines;  // per row, its file line number
  // rows x cols row-major; or, when parsed `transposed`, cols x rows row-major.
  std::vector<float> values;
};

// Parses `block`: every non-empty line must hold an id and exactly columns.ids->size()
// numbers. `progress` (optional) is called now and then with the bytes parsed so far.
ParsedBlock parse_block(const Block& block, const Columns& columns, char separator, bool transposed,
                        const std::string& file,
                        const std::function<void(std::int64_t)>& progress = {});

// --- whole tables, collectively ---------------------------------------------------------

struct TableOptions {
  std::string path;
  Separator separator = Separator::Auto;
  Orientation orientation = Orientation::SamplesAsRows;
  std::int64_t gzip_block_bytes = 4 << 20;  // text rank 0 hands out at a time (gzip input)
};

// Where a sample's id is in the file, for messages.
struct Place {
  std::int64_t line = 0;
  std::int64_t column = 0;
};

// A rank's block of the samples x genes matrix, row-major.
struct Piece {
  mpi::Range samples;
  mpi::Range genes;
  std::vector<float> values;  // samples.size() x genes.size()
};

struct Table {
  std::string path;
  char separator = ',';
  bool gzip = false;
  std::int64_t bytes = 0;               // text bytes (decompressed for gzip)
  std::int64_t parsed_bytes = 0;        // of which this rank parsed
  std::vector<std::string> sample_ids;  // all of them, file order, on every rank
  std::vector<std::string> gene_ids;    // all of them, file order, on every rank
  std::vector<Place> sample_places;     // where each sample id is (all, every rank)
  std::vector<Piece> pieces;            // this rank's blocks of the matrix
};

// Reads the table collectively over `comm`, with the checks listed at the top of this
// file plus: the file can be read, is not empty, has data rows, no duplicate sample or
// gene id. Every rank throws the same CollectiveError on bad input. `progress`, if
// given, is called on rank 0 now and then with an estimate of the text bytes parsed by
// all ranks together.
Table read_table(const TableOptions& options, const mpi::Comm& comm,
                 const std::function<void(std::int64_t)>& progress = {});

// --- small string tables (labels) --------------------------------------------------------

// A small delimited file read whole on the calling rank (plain or gzip): the header cells
// and every non-empty line's cells, which must be as many as the header's.
struct TextTable {
  std::string path;
  char separator = ',';
  Cells header;
  std::vector<Cells> rows;
  std::vector<std::int64_t> lines;  // per row, its file line number
};
TextTable read_text_table(const std::string& path, Separator separator);

}  // namespace pancan::csv
