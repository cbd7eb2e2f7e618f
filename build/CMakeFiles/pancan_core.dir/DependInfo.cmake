
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/config.cpp" "CMakeFiles/pancan_core.dir/src/config.cpp.o" "gcc" "CMakeFiles/pancan_core.dir/src/config.cpp.o.d"
  "/work/main/src/error.cpp" "CMakeFiles/pancan_core.dir/src/error.cpp.o" "gcc" "CMakeFiles/pancan_core.dir/src/error.cpp.o.d"
  "/work/main/src/h5.cpp" "CMakeFiles/pancan_core.dir/src/h5.cpp.o" "gcc" "CMakeFiles/pancan_core.dir/src/h5.cpp.o.d"
  "/work/main/src/log.cpp" "CMakeFiles/pancan_core.dir/src/log.cpp.o" "gcc" "CMakeFiles/pancan_core.dir/src/log.cpp.o.d"
  "/work/main/src/mpi.cpp" "CMakeFiles/pancan_core.dir/src/mpi.cpp.o" "gcc" "CMakeFiles/pancan_core.dir/src/mpi.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
