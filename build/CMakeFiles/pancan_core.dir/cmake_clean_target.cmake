file(REMOVE_RECURSE
  "libpancan_core.a"
)
