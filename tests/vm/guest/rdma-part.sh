# rdma.sh on a partition of the disk: the same filesystems, each on a
# partition that starts 1 MiB into the T10-PI disk.
PB_MATRIX_WHERE=part
. "$PB_REPO/tests/vm/guest/rdma.sh"
