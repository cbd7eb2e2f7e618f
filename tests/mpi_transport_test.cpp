// Which launches get Open MPI's shared-memory transports instead of UCX (start-up cost) and
// prefer ROMIO for MPI-IO.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "pancan/mpi.hpp"

namespace {

using pancan::mpi::choose_one_node_defaults;
using pancan::mpi::launched_on_one_node;

const char* const kVariables[] = {"OMPI_COMM_WORLD_SIZE",
                                  "OMPI_COMM_WORLD_LOCAL_SIZE",
                                  "SLURM_STEP_NUM_NODES",
                                  "PMIX_RANK",
                                  "PMI_RANK",
                                  "OMPI_MCA_pml",
                                  "OMPI_MCA_btl",
                                  "OMPI_MCA_io",
                                  "OMPI_MCA_io_ompio_priority",
                                  "PANCAN_MPI_DEFAULTS",
                                  "HWLOC_COMPONENTS"};

// Clears the launcher variables for one test and puts the process's values back after it
// (the test binary itself runs under mpiexec, and MPI is already initialised).
class LauncherEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) {
      const char* value = std::getenv(name);
      if (value != nullptr) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kVariables) {
      unsetenv(name);
      if (auto it = saved_.find(name); it != saved_.end()) setenv(name, it->second.c_str(), 1);
    }
  }
  static void set(const char* name, const char* value) { setenv(name, value, 1); }
  static std::optional<std::string> get(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LauncherEnvironment, MpiexecOnOneNode) {
  set("OMPI_COMM_WORLD_SIZE", "4");
  set("OMPI_COMM_WORLD_LOCAL_SIZE", "4");
  EXPECT_TRUE(launched_on_one_node());
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), "ob1");
  EXPECT_EQ(get("OMPI_MCA_btl"), "self,vader");
  EXPECT_EQ(get("OMPI_MCA_io_ompio_priority"), "1");  // ROMIO (priority 10) wins, OMPIO stays
  EXPECT_EQ(get("HWLOC_COMPONENTS"), std::nullopt);   // mpiexec discovered the hardware
}

TEST_F(LauncherEnvironment, SingletonSkipsInputOutputDeviceDiscovery) {
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), "ob1");
  EXPECT_EQ(get("HWLOC_COMPONENTS"), "-linuxio,-pci");
}

TEST_F(LauncherEnvironment, MpiexecOverSeveralNodesKeepsDefaults) {
  set("OMPI_COMM_WORLD_SIZE", "8");
  set("OMPI_COMM_WORLD_LOCAL_SIZE", "4");
  EXPECT_FALSE(launched_on_one_node());
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), std::nullopt);
  EXPECT_EQ(get("OMPI_MCA_btl"), std::nullopt);
  EXPECT_EQ(get("OMPI_MCA_io_ompio_priority"), std::nullopt);
}

TEST_F(LauncherEnvironment, SrunStepNodes) {
  set("PMIX_RANK", "0");
  set("SLURM_STEP_NUM_NODES", "1");
  EXPECT_TRUE(launched_on_one_node());
  set("SLURM_STEP_NUM_NODES", "2");
  EXPECT_FALSE(launched_on_one_node());
}

TEST_F(LauncherEnvironment, SingletonIsOneNodeUnknownLauncherIsNot) {
  EXPECT_TRUE(launched_on_one_node());
  set("PMIX_RANK", "3");
  EXPECT_FALSE(launched_on_one_node());
}

TEST_F(LauncherEnvironment, UserChoicesWin) {
  set("OMPI_COMM_WORLD_SIZE", "2");
  set("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
  set("OMPI_MCA_pml", "ucx");
  set("OMPI_MCA_io", "ompio");
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), "ucx");
  EXPECT_EQ(get("OMPI_MCA_btl"), std::nullopt);
  EXPECT_EQ(get("OMPI_MCA_io_ompio_priority"), std::nullopt);
  EXPECT_EQ(get("HWLOC_COMPONENTS"), std::nullopt);
  unsetenv("OMPI_MCA_pml");
  unsetenv("OMPI_MCA_io");
  set("OMPI_MCA_io_ompio_priority", "50");
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), "ob1");  // each choice is separate
  EXPECT_EQ(get("OMPI_MCA_io_ompio_priority"), "50");
  unsetenv("OMPI_MCA_pml");
  unsetenv("OMPI_MCA_btl");
  unsetenv("OMPI_MCA_io_ompio_priority");
  set("PANCAN_MPI_DEFAULTS", "1");
  choose_one_node_defaults();
  EXPECT_EQ(get("OMPI_MCA_pml"), std::nullopt);
  EXPECT_EQ(get("OMPI_MCA_io_ompio_priority"), std::nullopt);
}

}  // namespace
