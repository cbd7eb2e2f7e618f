# Empty dependencies file for pancan_test_main.
# This may be replaced when dependencies are built.
