file(REMOVE_RECURSE
  "CMakeFiles/pancan_core.dir/src/config.cpp.o"
  "CMakeFiles/pancan_core.dir/src/config.cpp.o.d"
  "CMakeFiles/pancan_core.dir/src/error.cpp.o"
  "CMakeFiles/pancan_core.dir/src/error.cpp.o.d"
  "CMakeFiles/pancan_core.dir/src/h5.cpp.o"
  "CMakeFiles/pancan_core.dir/src/h5.cpp.o.d"
  "CMakeFiles/pancan_core.dir/src/log.cpp.o"
  "CMakeFiles/pancan_core.dir/src/log.cpp.o.d"
  "CMakeFiles/pancan_core.dir/src/mpi.cpp.o"
  "CMakeFiles/pancan_core.dir/src/mpi.cpp.o.d"
  "libpancan_core.a"
  "libpancan_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/pancan_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
