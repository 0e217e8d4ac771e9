#!/usr/bin/env bash
# Prints how many cores this process may run on: one build job, ctest test or
# fuzz target per core. GNU nproc honours OMP_NUM_THREADS and
# OMP_THREAD_LIMIT, which the scripts set to 1 for the runs, so count without
# them (affinity still counts: a container's cpuset is respected).
exec env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc
