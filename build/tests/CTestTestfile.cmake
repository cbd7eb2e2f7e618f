# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/build/tests/unit_tests[1]_include.cmake")
add_test([=[mpi_smoke_test.np1]=] "/usr/bin/mpiexec" "--oversubscribe" "-n" "1" "/work/main/build/tests/mpi_smoke_test")
set_tests_properties([=[mpi_smoke_test.np1]=] PROPERTIES  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PANCAN_TEST_DATA=/work/main/tests/data;PANCAN_SOURCE_DIR=/work/main" LABELS "mpi" PROCESSORS "2" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;35;add_test;/work/main/tests/CMakeLists.txt;44;pancan_add_mpi_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[mpi_smoke_test.np2]=] "/usr/bin/mpiexec" "--oversubscribe" "-n" "2" "/work/main/build/tests/mpi_smoke_test")
set_tests_properties([=[mpi_smoke_test.np2]=] PROPERTIES  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PANCAN_TEST_DATA=/work/main/tests/data;PANCAN_SOURCE_DIR=/work/main" LABELS "mpi" PROCESSORS "2" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;35;add_test;/work/main/tests/CMakeLists.txt;44;pancan_add_mpi_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[mpi_smoke_test.np3]=] "/usr/bin/mpiexec" "--oversubscribe" "-n" "3" "/work/main/build/tests/mpi_smoke_test")
set_tests_properties([=[mpi_smoke_test.np3]=] PROPERTIES  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PANCAN_TEST_DATA=/work/main/tests/data;PANCAN_SOURCE_DIR=/work/main" LABELS "mpi" PROCESSORS "2" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;35;add_test;/work/main/tests/CMakeLists.txt;44;pancan_add_mpi_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[mpi_smoke_test.np4]=] "/usr/bin/mpiexec" "--oversubscribe" "-n" "4" "/work/main/build/tests/mpi_smoke_test")
set_tests_properties([=[mpi_smoke_test.np4]=] PROPERTIES  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PANCAN_TEST_DATA=/work/main/tests/data;PANCAN_SOURCE_DIR=/work/main" LABELS "mpi" PROCESSORS "2" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;35;add_test;/work/main/tests/CMakeLists.txt;44;pancan_add_mpi_test;/work/main/tests/CMakeLists.txt;0;")
