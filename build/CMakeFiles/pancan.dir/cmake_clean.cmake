file(REMOVE_RECURSE
  "CMakeFiles/pancan.dir/src/cli/main.cpp.o"
  "CMakeFiles/pancan.dir/src/cli/main.cpp.o.d"
  "CMakeFiles/pancan.dir/src/cli/synth.cpp.o"
  "CMakeFiles/pancan.dir/src/cli/synth.cpp.o.d"
  "pancan"
  "pancan.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/pancan.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
