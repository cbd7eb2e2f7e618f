// libFuzzer target: the CSV/TSV row parser (csv.hpp) on arbitrary bytes. The input is a
// whole table: its first line goes through the header path (separator detection,
// split_line), the rest through count_lines + parse_block as a rank's block, in both
// layouts. Bad input must end in an InputError/Error; anything else (a crash, a sanitizer
// report, another exception, or an "internal:" error, which means the row count and the
// parse disagree) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pancan/csv.hpp"
#include "pancan/error.hpp"

namespace {

void parse_table(std::string_view text, bool transposed) {
  using namespace pancan::csv;
  const auto newline = text.find('\n');
  std::string_view header = text.substr(0, newline);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  const char separator = resolve_separator(Separator::Auto, header);
  const Cells cells = split_line(header, separator, "fuzz.csv", 1);
  if (cells.values.size() != cells.columns.size()) std::abort();
  std::vector<std::string> ids(cells.values.begin() + (cells.values.empty() ? 0 : 1),
                               cells.values.end());
  const LineCount count = count_lines(body);
  Block block{body, 2, 0, count.rows};
  const ParsedBlock parsed =
      parse_block(block, Columns{&ids, "gene"}, separator, transposed, "fuzz.csv");
  if (parsed.rows != count.rows || static_cast<std::int64_t>(parsed.ids.size()) != count.rows ||
      static_cast<std::int64_t>(parsed.values.size()) !=
          count.rows * static_cast<std::int64_t>(ids.size()))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool transposed : {false, true}) {
    try {
      parse_table(text, transposed);
    } catch (const pancan::Error& e) {
      if (std::string_view(e.what()).starts_with("internal:")) {
        std::fprintf(stderr, "internal error: %s\n", e.what());
        std::abort();
      }
    }
  }
  return 0;
}
