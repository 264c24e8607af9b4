"""The efa-verify benchmarks (bench/run) and the scale rig (bench/scale.py)
as one package; those two files only parse arguments and call it.

  stats     median, milliseconds, the met/MISSED words
  results   Results: the table's rows, its notes and the goals
  proc      the source tree, logging, cleanups, ev_bench_exec timing, fixtures
  imds      the IMDS test server
  cluster   the host's cluster lock and tests/cluster/cluster.sh
  binaries  parts 1, 4, 5 and 6: the prolog and epilog against the shell ways
  steps     part 2: step launch on a local cluster
  record    part 3: the job record's size and build time
  peers     part 8: a big job's prolog, its peers looked up by name, cold and warm cache
  rig       part 7: the scale rig
  options   the options bench/run and bench/scale.py share
  main      running the parts and printing the report
"""
