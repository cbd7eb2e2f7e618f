// Parallel parsing of expression tables: byte ranges of a mapped file (or gzip blocks
// handed out by rank 0), a pre-count of lines so every rank knows its global line and row
// numbers before parsing, and a per-line loop that writes floats straight into the
// rank's matrix block (no iostreams, no allocation per value).
#include "pancan/csv.hpp"

#include <fast_float/fast_float.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "pancan/error.hpp"

namespace pancan::csv {

Separator parse_separator(const std::string& text) {
  if (text == "auto") return Separator::Auto;
  if (text == "comma") return Separator::Comma;
  if (text == "tab") return Separator::Tab;
  throw UsageError("--sep: expected auto, comma or tab, not '" + text + "'");
}

Orientation parse_orientation(const std::string& text) {
  if (text == "samples-as-rows") return Orientation::SamplesAsRows;
  if (text == "genes-as-rows") return Orientation::GenesAsRows;
  throw UsageError("--layout: expected samples-as-rows or genes-as-rows, not '" + text + "'");
}

char resolve_separator(Separator separator, std::string_view header_line) {
  if (separator == Separator::Comma) return ',';
  if (separator == Separator::Tab) return '\t';
  const auto tabs = std::count(header_line.begin(), header_line.end(), '\t');
  const auto commas = std::count(header_line.begin(), header_line.end(), ',');
  return tabs > commas ? '\t' : ',';
}

namespace {

// The line [p, end of line) without its LF or CRLF; `next` is the start of the next line.
struct Line {
  const char* begin;
  const char* end;
  const char* next;
  bool empty() const { return begin == end; }
};

Line line_at(const char* p, const char* limit) {
  const char* nl =
      static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(limit - p)));
  const char* end = nl != nullptr ? nl : limit;
  const char* next = nl != nullptr ? nl + 1 : limit;
  if (end > p && end[-1] == '\r') --end;
  return {p, end, next};
}

// A quoted field starting at `p` (on the opening quote): its unquoted text, and the
// position just after the closing quote. Throws on a missing closing quote.
std::string unquote(const char*& p, const char* end, const std::string& file, std::int64_t line,
                    const char* line_begin) {
  std::string text;
  const char* open = p++;
  for (;;) {
    const char* q =
        static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
    if (q == nullptr)
      throw InputError(file, line, open - line_begin + 1, "unterminated quoted field");
    text.append(p, q);
    if (q + 1 < end && q[1] == '"') {  // "" inside quotes is one "
      text.push_back('"');
      p = q + 2;
      continue;
    }
    p = q + 1;
    return text;
  }
}

// The field at `p` (quoted or not) up to the separator or the line end; p moves past it.
std::string field_text(const char*& p, const char* end, char separator, const std::string& file,
                       std::int64_t line, const char* line_begin) {
  if (p < end && *p == '"') {
    std::string text = unquote(p, end, file, line, line_begin);
    if (p < end && *p != separator)
      throw InputError(file, line, p - line_begin + 1, "unexpected text after a closing quote");
    return text;
  }
  const char* stop =
      static_cast<const char*>(std::memchr(p, separator, static_cast<std::size_t>(end - p)));
  if (stop == nullptr) stop = end;
  std::string text(p, stop);
  p = stop;
  return text;
}

std::string shown(std::string_view text) {
  if (text.size() > 40) return "'" + std::string(text.substr(0, 37)) + "...'";
  return "'" + std::string(text) + "'";
}

// 10^0 .. 10^22: every one is exact in a double.
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Reads a run of digits at q into m (m = m * 10^length + run) and adds its length to
// `count`. (A loop: eight-bytes-at-a-time digit parsing measured slower on these short
// runs.)
const char* digit_run(const char* q, const char* end, std::uint64_t& m, std::ptrdiff_t& count) {
  const char* begin = q;
  while (q < end && static_cast<unsigned>(*q - '0') < 10)
    m = m * 10 + static_cast<unsigned>(*q++ - '0');
  count += q - begin;
  return q;
}

// The field as expression matrices write it, `[-+]digits[.digits]` directly followed by
// the separator or the line end, by Clinger's fast path: when the digits form an integer
// m <= 2^53 and there are k <= 22 of them after the point, m and 10^k are exact doubles and
// one IEEE division gives the correctly rounded value, the same double strtod and
// fast_float return. Returns nullptr (and the caller takes the general parser) otherwise.
// Parsing runs ~1.3x faster than through fast_float's general entry on 7-digit values.
inline const char* parse_plain_decimal(const char* p, const char* end, char separator,
                                       double& value) {
  const char* q = p;
  const bool negative = q < end && *q == '-';
  if (q < end && (*q == '-' || *q == '+')) ++q;
  std::uint64_t m = 0;
  std::ptrdiff_t digits = 0, fraction_digits = 0;
  q = digit_run(q, end, m, digits);
  if (q < end && *q == '.') {
    q = digit_run(q + 1, end, m, fraction_digits);
    digits += fraction_digits;
  }
  // (At most 18 digits cannot overflow m; then m <= 2^53 keeps it exact.)
  if (digits == 0 || digits > 18 || m > (std::uint64_t{1} << 53)) return nullptr;
  if (q != end && *q != separator) return nullptr;
  double v = static_cast<double>(m);
  if (fraction_digits > 0) v /= kPowersOfTen[fraction_digits];
  value = negative ? -v : v;
  return q;
}

// Parses the number field at `p`, the way strtod does in the C locale, with surrounding
// blanks and quotes allowed. Returns the end of the field (the separator or line end),
// or nullptr when the field is not a number.
// (parse_field below tries parse_plain_decimal first.)
const char* parse_number(const char* p, const char* end, char separator, double& value) {
  // Fast path: a plain number directly followed by the separator or the line end.
  const char* q = p;
  if (q + 1 < end && *q == '+' && (std::isdigit(static_cast<unsigned char>(q[1])) || q[1] == '.'))
    ++q;  // strtod takes a leading '+', fast_float does not
  auto result = fast_float::from_chars(q, end, value);
  if (result.ec == std::errc() && (result.ptr == end || *result.ptr == separator))
    return result.ptr;
  // Slow path (rare): blanks, quotes, hexadecimal and other strtod forms.
  const char* stop =
      static_cast<const char*>(std::memchr(p, separator, static_cast<std::size_t>(end - p)));
  if (stop == nullptr) stop = end;
  const char* a = p;
  const char* b = stop;
  while (a < b && (*a == ' ' || *a == '\t')) ++a;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t')) --b;
  if (b - a >= 2 && *a == '"' && b[-1] == '"') {
    ++a;
    --b;
  }
  char buffer[128];
  const auto length = static_cast<std::size_t>(b - a);
  if (length == 0 || length >= sizeof buffer) return nullptr;
  std::memcpy(buffer, a, length);
  buffer[length] = '\0';
  char* parsed_end = nullptr;
  value = std::strtod(buffer, &parsed_end);
  if (parsed_end != buffer + length) return nullptr;
  return stop;
}

// A number field: the plain-decimal fast path, inlined into the caller's loop, and the
// general parser only where it declines.
inline const char* parse_field(const char* p, const char* end, char separator, double& value) {
  if (const char* after = parse_plain_decimal(p, end, separator, value)) return after;
  return parse_number(p, end, separator, value);
}

std::int64_t count_fields(const char* p, const char* end, char separator) {
  return 1 + std::count(p, end, separator);
}

}  // namespace

Cells split_line(std::string_view text, char separator, const std::string& file,
                 std::int64_t line_number) {
  Cells cells;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* p = begin;
  for (;;) {
    cells.columns.push_back(p - begin + 1);
    cells.values.push_back(field_text(p, end, separator, file, line_number, begin));
    if (p == end) break;
    ++p;  // the separator
  }
  return cells;
}

std::optional<double> parse_number_field(std::string_view field) {
  double value = 0;
  const char* end = field.data() + field.size();
  if (parse_field(field.data(), end, ',', value) != end) return std::nullopt;
  return value;
}

LineCount count_lines(std::string_view text) {
  LineCount count;
  const char* p = text.data();
  const char* limit = p + text.size();
  while (p < limit) {
    const Line line = line_at(p, limit);
    ++count.lines;
    if (!line.empty()) ++count.rows;
    p = line.next;
  }
  return count;
}

ParsedBlock parse_block(const Block& block, const Columns& columns, char separator, bool transposed,
                        const std::string& file,
                        const std::function<void(std::int64_t)>& progress) {
  const std::int64_t cols = static_cast<std::int64_t>(columns.ids->size());
  ParsedBlock out;
  out.first_row = block.first_row;
  out.rows = block.rows;
  out.cols = cols;
  out.ids.reserve(static_cast<std::size_t>(block.rows));
  out.lines.reserve(static_cast<std::size_t>(block.rows));
  out.values.resize(static_cast<std::size_t>(block.rows * cols));
  float* values = out.values.data();
  // Row-major: value (r, c) at r * cols + c; transposed: at c * rows + r.
  const std::int64_t row_step = transposed ? 1 : cols;
  const std::int64_t col_step = transposed ? block.rows : 1;

  const char* const text = block.text.data();
  const char* const limit = text + block.text.size();
  const char* p = text;
  const char* reported = text;
  std::int64_t line_number = block.first_line;
  std::int64_t row = 0;
  for (; p < limit; ++line_number) {
    const Line line = line_at(p, limit);
    p = line.next;
    if (line.empty()) continue;
    if (row == block.rows)
      throw Error("internal: " + file + " has more rows than counted at line " +
                  std::to_string(line_number));
    auto fail = [&](const char* at, const std::string& what) {
      throw InputError(file, line_number, at - line.begin + 1, what);
    };
    auto values_in_line = [&] { return count_fields(line.begin, line.end, separator) - 1; };

    const char* f = line.begin;
    std::string id = field_text(f, line.end, separator, file, line_number, line.begin);
    if (id.empty()) fail(line.begin, "empty id in the first column");
    out.ids.push_back(std::move(id));
    out.lines.push_back(line_number);
    if (f == line.end && cols > 0)
      fail(f,
           "row has 0 values, the header has " + std::to_string(cols) + " " + columns.noun + "s");

    // (No pointer arithmetic on an empty matrix: values is null when there are no columns.)
    float* slot = cols > 0 ? values + row * row_step : values;
    for (std::int64_t c = 0; c < cols; ++c) {
      ++f;  // the separator before this field
      double value = 0;
      const char* after = parse_field(f, line.end, separator, value);
      if (after == nullptr) {
        const char* stop = f;
        const std::string text_of_field =
            field_text(stop, line.end, separator, file, line_number, line.begin);
        fail(f, (text_of_field.empty() ? std::string("empty value")
                                       : shown(text_of_field) + " is not a number") +
                    " (" + columns.noun + " " + (*columns.ids)[static_cast<std::size_t>(c)] + ")");
      }
      const auto single = static_cast<float>(value);
      if (!std::isfinite(single))
        fail(f,
             shown(std::string_view(f, static_cast<std::size_t>(after - f))) +
                 (std::isfinite(value) ? " does not fit in a float32" : " is not a finite number") +
                 " (" + columns.noun + " " + (*columns.ids)[static_cast<std::size_t>(c)] + ")");
      slot[c * col_step] = single;
      f = after;
      if (f == line.end && c + 1 < cols)
        fail(f, "row has " + std::to_string(values_in_line()) + " values, the header has " +
                    std::to_string(cols) + " " + columns.noun + "s");
    }
    if (f != line.end)
      fail(f, "row has " + std::to_string(values_in_line()) + " values, the header has " +
                  std::to_string(cols) + " " + columns.noun + "s");
    ++row;
    if (progress && p - reported >= (4 << 20)) {
      progress(p - text);
      reported = p;
    }
  }
  if (row != block.rows) throw Error("internal: " + file + " has fewer rows than counted");
  if (progress) progress(p - text);
  return out;
}

// --- input files ----------------------------------------------------------------------------

namespace {

[[noreturn]] void cannot_read(const std::string& path, int error) {
  throw InputError(path, 0, 0, std::string("cannot read: ") + std::strerror(error));
}

// True when `path` starts with the gzip magic bytes. Throws when it cannot be read.
bool is_gzip(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) cannot_read(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    cannot_read(path, EISDIR);
  }
  unsigned char magic[2] = {0, 0};
  const auto n = ::read(fd, magic, 2);
  const int error = errno;
  ::close(fd);
  if (n < 0) cannot_read(path, error);
  return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

// A read-only memory map of a whole file. Pages already parsed can be dropped so that the
// resident text stays small (the kernel keeps them in its page cache).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) cannot_read(path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int error = errno;
      ::close(fd);
      cannot_read(path, error);
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        cannot_read(path, error);
      }
      data_ = static_cast<const char*>(map);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view text() const { return {data_, size_}; }
  // Advice for [begin, end): read ahead sequentially, or drop from this process.
  void sequential(std::size_t begin, std::size_t end) const {
    advise(begin, end, MADV_SEQUENTIAL);
#ifdef MADV_POPULATE_READ
    // Map the range in one call instead of one page fault per few pages (Linux >= 5.14;
    // older kernels refuse it and the pages fault in as usual).
    advise(begin, end, MADV_POPULATE_READ);
#endif
  }
  void drop(std::size_t begin, std::size_t end) const { advise(begin, end, MADV_DONTNEED); }

 private:
  void advise(std::size_t begin, std::size_t end, int advice) const {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t first = (begin + page - 1) / page * page;  // whole pages only
    const std::size_t last = std::min(end, size_) / page * page;
    if (data_ != nullptr && first < last)
      ::madvise(const_cast<char*>(data_) + first, last - first, advice);
  }
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// A gzip file read as a stream.
class GzipFile {
 public:
  explicit GzipFile(const std::string& path) : path_(path) {
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) cannot_read(path, errno != 0 ? errno : EIO);
    gzbuffer(file_, 1 << 20);
  }
  ~GzipFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;

  // Appends up to `bytes` decompressed bytes to `out`; returns how many (0 at the end).
  std::size_t read(std::string& out, std::size_t bytes) {
    const std::size_t old = out.size();
    out.resize(old + bytes);
    const int n = gzread(file_, out.data() + old, static_cast<unsigned>(bytes));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file_, &code);
      out.resize(old);
      throw InputError(path_, 0, 0, std::string("cannot decompress: ") + message);
    }
    out.resize(old + static_cast<std::size_t>(n));
    // zlib hands out what it could decompress of a cut-off file and only then flags it
    // (Z_BUF_ERROR, so that growing files can be read): for us it is a broken file.
    int code = Z_OK;
    gzerror(file_, &code);
    if (code == Z_BUF_ERROR)
      throw InputError(path_, 0, 0,
                       "cannot decompress: the file ends in the middle of the compressed data "
                       "(truncated?)");
    return static_cast<std::size_t>(n);
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

// The whole of a small file, decompressed if it is gzip.
std::string read_whole(const std::string& path) {
  std::string text;
  if (is_gzip(path)) {
    GzipFile file(path);
    while (file.read(text, 1 << 20) > 0) {
    }
    return text;
  }
  MappedFile file(path);
  return std::string(file.text());
}

// A NUL byte in a header line means binary data, not a table: say so instead of
// reporting whatever the bytes happen to look like.
void check_text(std::string_view header_line, const std::string& file) {
  const auto nul = header_line.find('\0');
  if (nul != std::string_view::npos)
    throw InputError(file, 1, static_cast<long>(nul) + 1,
                     "a NUL byte in the header: this is binary data, not a CSV/TSV table");
}

// What the header line says.
struct Header {
  char separator = ',';
  std::vector<std::string> ids;       // value column ids (the cells after the first)
  std::vector<std::int64_t> columns;  // their byte columns
};

const char* row_noun(Orientation o) { return o == Orientation::SamplesAsRows ? "sample" : "gene"; }
const char* column_noun(Orientation o) {
  return o == Orientation::SamplesAsRows ? "gene" : "sample";
}

Header parse_header(std::string_view line, const TableOptions& options) {
  Header header;
  const std::string& file = options.path;
  if (line.empty()) throw InputError(file, 1, 1, "the first line is empty (expected the header)");
  check_text(line, file);
  header.separator = resolve_separator(options.separator, line);
  Cells cells = split_line(line, header.separator, file, 1);
  const char* noun = column_noun(options.orientation);
  if (cells.values.size() < 2)
    throw InputError(file, 1, 1,
                     std::string("the header has no ") + noun + " columns (separator '" +
                         (header.separator == '\t' ? "\\t" : ",") + "')");
  header.ids.assign(cells.values.begin() + 1, cells.values.end());
  header.columns.assign(cells.columns.begin() + 1, cells.columns.end());
  std::unordered_map<std::string_view, std::size_t> seen;
  seen.reserve(header.ids.size());
  for (std::size_t i = 0; i < header.ids.size(); ++i) {
    if (header.ids[i].empty())
      throw InputError(file, 1, header.columns[i],
                       std::string("empty ") + noun + " id in the header");
    auto [at, fresh] = seen.emplace(header.ids[i], i);
    if (!fresh)
      throw InputError(file, 1, header.columns[i],
                       std::string("duplicate ") + noun + " id " + shown(header.ids[i]) +
                           " (also at column " + std::to_string(header.columns[at->second]) + ")");
  }
  return header;
}

// Turns this rank's parsed blocks into pieces of the samples x genes matrix, gathers the
// row ids on every rank and checks them for duplicates.
void assemble(Table& table, Header& header, std::vector<ParsedBlock>& blocks,
              std::int64_t total_rows, const TableOptions& options, const mpi::Comm& comm) {
  const std::string& file = options.path;
  if (total_rows == 0) throw InputError(file, 1, 1, "header only: the file has no data rows");

  // Row ids, lines and indices of every rank, put in row order.
  std::vector<std::string> my_ids;
  std::vector<std::int64_t> my_rows, my_lines;
  for (auto& block : blocks)
    for (std::int64_t r = 0; r < block.rows; ++r) {
      my_ids.push_back(std::move(block.ids[static_cast<std::size_t>(r)]));
      my_rows.push_back(block.first_row + r);
      my_lines.push_back(block.lines[static_cast<std::size_t>(r)]);
    }
  const auto all_ids = comm.allgather_strings(my_ids);
  const auto all_rows = comm.allgatherv<std::int64_t>(my_rows);
  const auto all_lines = comm.allgatherv<std::int64_t>(my_lines);
  std::vector<std::string> row_ids(static_cast<std::size_t>(total_rows));
  std::vector<std::int64_t> row_lines(static_cast<std::size_t>(total_rows));
  for (std::size_t i = 0; i < all_ids.size(); ++i) {
    row_ids[static_cast<std::size_t>(all_rows[i])] = all_ids[i];
    row_lines[static_cast<std::size_t>(all_rows[i])] = all_lines[i];
  }

  mpi::agree(comm, [&] {
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(row_ids.size());
    for (std::size_t i = 0; i < row_ids.size(); ++i) {
      auto [at, fresh] = seen.emplace(row_ids[i], i);
      if (!fresh)
        throw InputError(file, row_lines[i], 1,
                         std::string("duplicate ") + row_noun(options.orientation) + " id " +
                             shown(row_ids[i]) + " (also on line " +
                             std::to_string(row_lines[at->second]) + ")");
    }
  });

  const auto cols = static_cast<std::int64_t>(header.ids.size());
  if (options.orientation == Orientation::SamplesAsRows) {
    table.sample_ids = std::move(row_ids);
    table.gene_ids = std::move(header.ids);
    for (auto line : row_lines) table.sample_places.push_back({line, 1});
    for (auto& block : blocks)
      table.pieces.push_back(
          {{block.first_row, block.first_row + block.rows}, {0, cols}, std::move(block.values)});
  } else {
    table.sample_ids = std::move(header.ids);
    table.gene_ids = std::move(row_ids);
    for (auto column : header.columns) table.sample_places.push_back({1, column});
    for (auto& block : blocks)
      table.pieces.push_back(
          {{0, cols}, {block.first_row, block.first_row + block.rows}, std::move(block.values)});
  }
}

Table read_mapped(const TableOptions& options, const mpi::Comm& comm,
                  const std::function<void(std::int64_t)>& progress) {
  const std::string& file = options.path;
  std::optional<MappedFile> mapped;
  Header header;
  std::size_t data_begin = 0;
  mpi::agree(comm, [&] {
    mapped.emplace(file);
    const std::string_view text = mapped->text();
    if (text.empty()) throw InputError(file, 1, 1, "empty file");
    const Line first = line_at(text.data(), text.data() + text.size());
    header = parse_header(
        std::string_view(first.begin, static_cast<std::size_t>(first.end - first.begin)), options);
    data_begin = static_cast<std::size_t>(first.next - text.data());
  });
  const std::string_view text = mapped->text();

  // This rank's lines: those that start in its share of the bytes after the header.
  auto line_start_at = [&](std::size_t pos) {
    if (pos <= data_begin) return data_begin;
    if (pos >= text.size()) return text.size();
    if (text[pos - 1] == '\n') return pos;
    const auto nl = text.find('\n', pos);
    return nl == std::string_view::npos ? text.size() : nl + 1;
  };
  const std::size_t data_bytes = text.size() - data_begin;
  const int ranks = comm.size(), rank = comm.rank();
  const std::size_t begin = line_start_at(data_begin + data_bytes * static_cast<std::size_t>(rank) /
                                                           static_cast<std::size_t>(ranks));
  const std::size_t end =
      line_start_at(data_begin + data_bytes * static_cast<std::size_t>(rank + 1) /
                                     static_cast<std::size_t>(ranks));
  mapped->sequential(begin, end);

  Block block;
  block.text = text.substr(begin, end - begin);
  // The pages stay mapped between counting and parsing (mapping them twice costs more
  // than the line count itself); parsing drops them as it goes, so the resident text
  // shrinks while the matrix grows and the peak stays below the two shares together.
  const LineCount count = count_lines(block.text);
  const auto lines = comm.allgather<std::int64_t>(count.lines);
  const auto rows = comm.allgather<std::int64_t>(count.rows);
  block.first_line = 2 + std::accumulate(lines.begin(), lines.begin() + rank, std::int64_t{0});
  block.first_row = std::accumulate(rows.begin(), rows.begin() + rank, std::int64_t{0});
  block.rows = count.rows;
  const std::int64_t total_rows = std::accumulate(rows.begin(), rows.end(), std::int64_t{0});

  Table table;
  table.path = file;
  table.separator = header.separator;
  table.bytes = static_cast<std::int64_t>(text.size());
  table.parsed_bytes = static_cast<std::int64_t>(block.text.size());
  std::vector<ParsedBlock> blocks;
  mpi::agree(comm, [&] {
    const Columns columns{&header.ids, column_noun(options.orientation)};
    const double scale = block.text.empty() ? 0.0
                                            : static_cast<double>(data_bytes) /
                                                  static_cast<double>(block.text.size());
    blocks.push_back(
        parse_block(block, columns, header.separator,
                    options.orientation == Orientation::GenesAsRows, file, [&](std::int64_t done) {
                      mapped->drop(begin, begin + static_cast<std::size_t>(done));
                      if (progress && comm.is_root())
                        progress(static_cast<std::int64_t>(static_cast<double>(done) * scale));
                    }));
  });
  mapped.reset();
  mpi::agree(comm, [&] { assemble(table, header, blocks, total_rows, options, comm); });
  return table;
}

// Gzip: rank 0 decompresses and deals out blocks of whole lines, round robin (itself
// included); every rank parses the blocks it receives.
Table read_gzip(const TableOptions& options, const mpi::Comm& comm,
                const std::function<void(std::int64_t)>& progress) {
  const std::string& file = options.path;
  const auto block_bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(options.gzip_block_bytes, 1));
  constexpr int kMetaTag = 31, kTextTag = 32;
  std::optional<GzipFile> gzip;
  std::string buffer;  // rank 0: decompressed text not yet dealt out
  std::string header_line;
  std::int64_t header_bytes = 0;
  mpi::agree(comm, [&] {
    if (!comm.is_root()) return;
    gzip.emplace(file);
    std::size_t nl;
    while ((nl = buffer.find('\n')) == std::string::npos)
      if (gzip->read(buffer, 1 << 16) == 0) break;
    if (buffer.empty()) throw InputError(file, 1, 1, "empty file");
    header_line = buffer.substr(0, nl == std::string::npos ? buffer.size() : nl);
    if (!header_line.empty() && header_line.back() == '\r') header_line.pop_back();
    header_bytes = static_cast<std::int64_t>(nl == std::string::npos ? buffer.size() : nl + 1);
    buffer.erase(0, static_cast<std::size_t>(header_bytes));
  });
  comm.broadcast(header_line);
  Header header;
  mpi::agree(comm, [&] { header = parse_header(header_line, options); });

  const Columns columns{&header.ids, column_noun(options.orientation)};
  const bool transposed = options.orientation == Orientation::GenesAsRows;
  std::vector<ParsedBlock> blocks;
  std::int64_t parsed_bytes = 0;
  std::string failure;  // this rank's first error; it keeps receiving so rank 0 never blocks
  auto parse = [&](const Block& block) {
    if (!failure.empty()) return;
    try {
      parsed_bytes += static_cast<std::int64_t>(block.text.size());
      blocks.push_back(parse_block(block, columns, header.separator, transposed, file));
    } catch (const std::exception& e) {
      failure = e.what();
    }
  };

  std::int64_t totals[2] = {0, header_bytes};  // rows, text bytes (known on rank 0)
  if (comm.is_root()) {
    std::int64_t first_line = 2, first_row = 0, dealt = 0;
    bool at_end = false;
    while (!at_end && failure.empty()) {
      try {
        while (buffer.size() < block_bytes && !at_end)
          at_end = gzip->read(buffer, block_bytes) == 0;
      } catch (const std::exception& e) {
        failure = e.what();
        break;
      }
      const std::size_t nl = buffer.rfind('\n');
      const std::size_t length = at_end ? buffer.size() : (nl == std::string::npos ? 0 : nl + 1);
      if (length == 0) continue;  // a line longer than the buffer: read on
      Block block;
      block.text = std::string_view(buffer.data(), length);
      const LineCount count = count_lines(block.text);
      block.first_line = first_line;
      block.first_row = first_row;
      block.rows = count.rows;
      const int dest = static_cast<int>(dealt++ % comm.size());
      if (dest == 0) {
        parse(block);
      } else {
        const std::int64_t meta[4] = {block.first_line, block.first_row, block.rows,
                                      static_cast<std::int64_t>(length)};
        comm.send<std::int64_t>(meta, dest, kMetaTag);
        comm.send<char>(std::span<const char>(buffer.data(), length), dest, kTextTag);
      }
      first_line += count.lines;
      first_row += count.rows;
      totals[1] += static_cast<std::int64_t>(length);
      if (progress) progress(totals[1]);
      buffer.erase(0, length);
    }
    totals[0] = first_row;
    const std::int64_t done[4] = {0, 0, 0, -1};
    for (int r = 1; r < comm.size(); ++r) comm.send<std::int64_t>(done, r, kMetaTag);
  } else {
    for (;;) {
      const auto meta = comm.receive<std::int64_t>(0, kMetaTag);
      if (meta[3] < 0) break;
      const auto text = comm.receive<char>(0, kTextTag);
      parse(Block{std::string_view(text.data(), text.size()), meta[0], meta[1], meta[2]});
    }
  }
  gzip.reset();
  mpi::agree_on_failure(comm, failure, kExitError);
  comm.broadcast(std::span<std::int64_t>(totals, 2));

  Table table;
  table.path = file;
  table.separator = header.separator;
  table.gzip = true;
  table.parsed_bytes = parsed_bytes;
  table.bytes = totals[1];
  mpi::agree(comm, [&] { assemble(table, header, blocks, totals[0], options, comm); });
  return table;
}

}  // namespace

Table read_table(const TableOptions& options, const mpi::Comm& comm,
                 const std::function<void(std::int64_t)>& progress) {
  bool gzip = false;
  mpi::agree(comm, [&] { gzip = is_gzip(options.path); });
  return gzip ? read_gzip(options, comm, progress) : read_mapped(options, comm, progress);
}

TextTable read_text_table(const std::string& path, Separator separator) {
  const std::string text = read_whole(path);
  if (text.empty()) throw InputError(path, 1, 1, "empty file");
  TextTable table;
  table.path = path;
  const char* p = text.data();
  const char* const limit = p + text.size();
  const Line first = line_at(p, limit);
  const std::string_view header(first.begin, static_cast<std::size_t>(first.end - first.begin));
  if (header.empty()) throw InputError(path, 1, 1, "the first line is empty (expected the header)");
  check_text(header, path);
  table.separator = resolve_separator(separator, header);
  table.header = split_line(header, table.separator, path, 1);
  p = first.next;
  for (std::int64_t line_number = 2; p < limit; ++line_number) {
    const Line line = line_at(p, limit);
    p = line.next;
    if (line.empty()) continue;
    Cells cells =
        split_line(std::string_view(line.begin, static_cast<std::size_t>(line.end - line.begin)),
                   table.separator, path, line_number);
    if (cells.values.size() != table.header.values.size())
      throw InputError(path, line_number,
                       cells.values.size() > table.header.values.size()
                           ? cells.columns[table.header.values.size()]
                           : line.end - line.begin + 1,
                       "row has " + std::to_string(cells.values.size()) +
                           " fields, the header has " + std::to_string(table.header.values.size()));
    table.rows.push_back(std::move(cells));
    table.lines.push_back(line_number);
  }
  return table;
}

}  // namespace pancan::csv
