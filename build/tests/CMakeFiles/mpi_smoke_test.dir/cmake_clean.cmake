file(REMOVE_RECURSE
  "CMakeFiles/mpi_smoke_test.dir/mpi/smoke_test.cpp.o"
  "CMakeFiles/mpi_smoke_test.dir/mpi/smoke_test.cpp.o.d"
  "mpi_smoke_test"
  "mpi_smoke_test.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/mpi_smoke_test.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
