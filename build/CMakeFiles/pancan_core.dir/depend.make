# Empty dependencies file for pancan_core.
# This may be replaced when dependencies are built.
