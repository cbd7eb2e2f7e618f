file(REMOVE_RECURSE
  "CMakeFiles/pancan_test_main.dir/mpi_test_main.cpp.o"
  "CMakeFiles/pancan_test_main.dir/mpi_test_main.cpp.o.d"
  "libpancan_test_main.a"
  "libpancan_test_main.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/pancan_test_main.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
