# Empty compiler generated dependencies file for pancan.
# This may be replaced when dependencies are built.
