# Empty compiler generated dependencies file for mpi_smoke_test.
# This may be replaced when dependencies are built.
