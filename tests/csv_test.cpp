// The CSV/TSV parser on its own: numbers as strtod reads them, line ends, quotes, empty
// lines, both output orientations, and errors that name the line and column.
#include "pancan/csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace pancan::csv {
namespace {

const std::vector<std::string> kGenes = {"g1", "g2", "g3"};

ParsedBlock parse(const std::string& text, bool transposed = false, char separator = ',') {
  const LineCount count = count_lines(text);
  return parse_block({text, 2, 0, count.rows}, {&kGenes, "gene"}, separator, transposed, "e.csv");
}

// The message of the InputError that parsing `text` throws.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Csv, NumbersParseLikeStrtod) {
  const char* fields[] = {"1.5", "-0.25", "+3",          "1e-3",        "2.5E+2",
                          ".5",  "7.",    "0x1p3",       " 4 ",         "\"6.25\"",
                          "0",   "-0",    "1234567.891", "3.4028234e38"};
  for (const char* field : fields) {
    const std::string text = std::string("s,") + field + ",0,0\n";
    const ParsedBlock block = parse(text);
    EXPECT_EQ(block.values[0],
              static_cast<float>(std::strtod(field[0] == '"' ? "6.25" : field, nullptr)))
        << field;
  }
}

// The plain-decimal fast path must give strtod's double bit for bit, at its limits (18
// digits, 2^53, 22 fraction digits) and on random decimals of every length.
TEST(Csv, PlainDecimalsEqualStrtodExactly) {
  std::vector<std::string> fields = {"9007199254740992",
                                     "9007199254740993",
                                     "900719925474099.3",
                                     "0.9007199254740993",
                                     "123456789012345678",
                                     "1234567890123456789",
                                     "0.0000000000000000000001",
                                     "0.00000000000000000000001",
                                     "-0.0",
                                     "+7.25",
                                     "000123.4500",
                                     "18446744073709551617",
                                     "5.",
                                     ".5"};
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    const int length = 1 + static_cast<int>(random() % 20);
    std::string digits;
    for (int d = 0; d < length; ++d) digits += static_cast<char>('0' + random() % 10);
    const auto point = random() % (digits.size() + 1);
    if (point < digits.size()) digits.insert(point, ".");
    if (random() % 4 == 0) digits.insert(0, "-");
    fields.push_back(digits);
  }
  for (const std::string& field : fields) {
    const auto parsed = parse_number_field(field);
    ASSERT_TRUE(parsed.has_value()) << field;
    const double expected = std::strtod(field.c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&*parsed, &expected, sizeof expected), 0)
        << field << ": " << *parsed << " vs strtod " << expected;
  }
  for (const char* bad : {"", "-", "+", ".", "-.", "1.2.3", "1-2", "12a", "--1"})
    EXPECT_FALSE(parse_number_field(bad).has_value()) << bad;
}

TEST(Csv, ValuesRoundThroughDoubleAsNumpyDoes) {
  // float32(float64 parse) — the value pandas + numpy give — not a direct float parse.
  const ParsedBlock block = parse("s,0.1,2.000000119,16777217\n");
  EXPECT_EQ(block.values[0], static_cast<float>(0.1));
  EXPECT_EQ(block.values[1], static_cast<float>(2.000000119));
  EXPECT_EQ(block.values[2], static_cast<float>(16777217.0));
}

TEST(Csv, CrlfQuotesAndEmptyLines) {
  const ParsedBlock block = parse("a,1,2,3\r\n\r\n\n\"b,x\",4,5,6\r\nc,7,8,9");
  ASSERT_EQ(block.rows, 3);
  EXPECT_EQ(block.ids, (std::vector<std::string>{"a", "b,x", "c"}));
  EXPECT_EQ(block.lines, (std::vector<std::int64_t>{2, 5, 6}));
  EXPECT_EQ(block.values, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Csv, TransposedOutputIsColumnMajor) {
  const ParsedBlock block = parse("a\t1\t2\t3\nb\t4\t5\t6\n", true, '\t');
  EXPECT_EQ(block.values, (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Csv, LineCountsIncludeEmptyLinesAndAnUnterminatedLastLine) {
  const LineCount count = count_lines("a\n\r\nb\n\nc");
  EXPECT_EQ(count.lines, 5);
  EXPECT_EQ(count.rows, 3);
  EXPECT_EQ(count_lines("").lines, 0);
}

TEST(Csv, ErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of("a,1,2,3\nb,1,2\n"), "e.csv:3:6: row has 2 values, the header has 3 genes");
  EXPECT_EQ(error_of("a,1,2,3,4\n"), "e.csv:2:8: row has 4 values, the header has 3 genes");
  EXPECT_EQ(error_of("a,1,x2,3\n"), "e.csv:2:5: 'x2' is not a number (gene g2)");
  EXPECT_EQ(error_of("a,1,,3\n"), "e.csv:2:5: empty value (gene g2)");
  EXPECT_EQ(error_of("a,1,2,nan\n"), "e.csv:2:7: 'nan' is not a finite number (gene g3)");
  EXPECT_EQ(error_of("a,inf,2,3\n"), "e.csv:2:3: 'inf' is not a finite number (gene g1)");
  EXPECT_EQ(error_of("a,1,1e39,3\n"), "e.csv:2:5: '1e39' does not fit in a float32 (gene g2)");
  EXPECT_EQ(error_of("a,1,2 x,3\n"), "e.csv:2:5: '2 x' is not a number (gene g2)");
  EXPECT_EQ(error_of(",1,2,3\n"), "e.csv:2:1: empty id in the first column");
  EXPECT_EQ(error_of("a\n"), "e.csv:2:2: row has 0 values, the header has 3 genes");
  EXPECT_EQ(error_of("\"a,1,2,3\n"), "e.csv:2:1: unterminated quoted field");
}

TEST(Csv, HeaderCellsAndSeparators) {
  const Cells cells = split_line("\"\",\"g 1\",g2,\"say \"\"hi\"\"\"", ',', "e.csv", 1);
  EXPECT_EQ(cells.values, (std::vector<std::string>{"", "g 1", "g2", "say \"hi\""}));
  EXPECT_EQ(cells.columns, (std::vector<std::int64_t>{1, 4, 10, 13}));
  EXPECT_EQ(resolve_separator(Separator::Auto, "X\tg1\tg2"), '\t');
  EXPECT_EQ(resolve_separator(Separator::Auto, ",g1,g2"), ',');
  EXPECT_EQ(resolve_separator(Separator::Auto, "only"), ',');
  EXPECT_EQ(resolve_separator(Separator::Tab, ",g1,g2"), '\t');
  EXPECT_EQ(parse_separator("tab"), Separator::Tab);
  EXPECT_THROW(parse_separator("semicolon"), UsageError);
  EXPECT_EQ(parse_orientation("genes-as-rows"), Orientation::GenesAsRows);
  EXPECT_THROW(parse_orientation("columns"), UsageError);
}

TEST(Csv, TextTablesCheckTheirShape) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("pancan-csv-test-" + std::to_string(::getpid()) + ".csv"))
                        .string();
  std::ofstream(path) << ",Class,Stage\r\ns1,BRCA,II\r\n\r\ns2,KIRC,I\r\n";
  const TextTable table = read_text_table(path, Separator::Auto);
  EXPECT_EQ(table.header.values, (std::vector<std::string>{"", "Class", "Stage"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[1].values[1], "KIRC");
  EXPECT_EQ(table.lines, (std::vector<std::int64_t>{2, 4}));
  std::ofstream(path) << ",Class\ns1,BRCA,x\n";
  try {
    read_text_table(path, Separator::Auto);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":2:9: row has 3 fields, the header has 2");
  }
  std::ofstream(path).flush();
  EXPECT_THROW(read_text_table(path, Separator::Auto), InputError);
  std::filesystem::remove(path);
  EXPECT_THROW(read_text_table(path, Separator::Auto), InputError);
}

}  // namespace
}  // namespace pancan::csv
