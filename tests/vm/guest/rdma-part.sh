# rdma.sh on a partition of the disk: the same filesystems, each on a
# partition that starts 1 MiB into the T10-PI disk.  Its runs repeat at
# random as rdma.sh's do.
# timeout: 1.5
PB_MATRIX_WHERE=part
. "$PB_REPO/tests/vm/guest/rdma.sh"
