file(REMOVE_RECURSE
  "libpancan_test_main.a"
)
