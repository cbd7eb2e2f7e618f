// Option parsing: defaults, INI files, command line over file, errors that name the option.
#include "pancan/config.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace pancan {
namespace {

po::options_description train_like_options() {
  po::options_description options;
  options.add_options()("hidden", po::value<std::string>()->default_value("100"), "layers")(
      "dropout", po::value<double>()->default_value(0.3, "0.3"), "dropout rate")(
      "epochs", po::value<int>()->default_value(10), "epochs");
  return options;
}

std::string write_ini(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Config, DefaultsWhenNothingGiven) {
  auto cl = parse_command_line("train", train_like_options(), {});
  EXPECT_FALSE(cl.help);
  EXPECT_EQ(cl.values["hidden"].as<std::string>(), "100");
  EXPECT_DOUBLE_EQ(cl.values["dropout"].as<double>(), 0.3);
}

TEST(Config, IniFileSetsValuesAndCommandLineOverrides) {
  auto ini = write_ini("pancan_config_test.ini", "hidden = 100,10\nepochs = 3\ndropout=0.5\n");
  auto cl = parse_command_line("train", train_like_options(), {"--config", ini, "--epochs", "7"});
  EXPECT_EQ(cl.values["hidden"].as<std::string>(), "100,10");
  EXPECT_EQ(cl.values["epochs"].as<int>(), 7);  // command line wins
  EXPECT_DOUBLE_EQ(cl.values["dropout"].as<double>(), 0.5);
  EXPECT_EQ(cl.config_file, ini);
}

TEST(Config, SectionsApplyOnlyToTheirCommand) {
  auto ini = write_ini("pancan_config_sections.ini",
                       "epochs = 2\n[train]\ndropout = 0.1\n[prepare]\nquantile = 0.9\n");
  auto cl = parse_command_line("train", train_like_options(), {"--config", ini});
  EXPECT_DOUBLE_EQ(cl.values["dropout"].as<double>(), 0.1);
  EXPECT_EQ(cl.values["epochs"].as<int>(), 2);
}

TEST(Config, UnknownIniKeyNamesKeyAndFile) {
  auto ini = write_ini("pancan_config_unknown.ini", "epoch = 2\n");
  try {
    parse_command_line("train", train_like_options(), {"--config", ini});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(ini), std::string::npos);
  }
}

TEST(Config, UnknownOptionAndBadValueNameTheOption) {
  try {
    parse_command_line("train", train_like_options(), {"--epoch", "3"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos);
  }
  try {
    parse_command_line("train", train_like_options(), {"--dropout", "lots"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos);
  }
}

// Boost would read "-1" as 2^64 - 1 for an unsigned option: a seed of -1 must be an error.
TEST(Config, NegativeValuesOfUnsignedOptionsAreErrors) {
  po::options_description options;
  options.add_options()("seed", po::value<std::uint64_t>()->default_value(1), "seed")(
      "shift", po::value<int>()->default_value(0), "signed");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--seed", "-1"}, {"--seed=-1"}, {"--seed= -5"}}) {
    try {
      parse_command_line("train", options, args);
      FAIL() << args.back();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--seed: must be a non-negative integer"),
                std::string::npos)
          << e.what();
    }
  }
  auto ini = write_ini("pancan_config_negative.ini", "seed = -2\n");
  try {
    parse_command_line("train", options, {"--config", ini});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(ini + ": --seed"), std::string::npos) << e.what();
  }
  auto cl = parse_command_line("train", options, {"--seed", "7", "--shift", "-3"});
  EXPECT_EQ(cl.values["seed"].as<std::uint64_t>(), 7u);
  EXPECT_EQ(cl.values["shift"].as<int>(), -3);
}

TEST(Config, MissingConfigFileIsAUsageError) {
  EXPECT_THROW(parse_command_line("train", train_like_options(), {"--config", "/no/such.ini"}),
               UsageError);
}

TEST(Config, HelpIsReportedNotParsedFurther) {
  auto cl = parse_command_line("train", train_like_options(), {"--help", "--epochs", "x"});
  EXPECT_TRUE(cl.help);
  auto text = help_text("pancan train [options]", "Trains.", train_like_options());
  EXPECT_NE(text.find("--dropout"), std::string::npos);
  EXPECT_NE(text.find("0.3"), std::string::npos);  // defaults are shown
}

TEST(Config, IntListsParseAndRejectJunk) {
  EXPECT_EQ(parse_int_list("hidden", "100,10"), (std::vector<int>{100, 10}));
  EXPECT_EQ(parse_int_list("hidden", "100, 10"), (std::vector<int>{100, 10}));
  EXPECT_TRUE(parse_int_list("hidden", "").empty());
  EXPECT_THROW(parse_int_list("hidden", "100,x"), UsageError);
  EXPECT_THROW(parse_int_list("hidden", "100,"), UsageError);
}

}  // namespace
}  // namespace pancan
