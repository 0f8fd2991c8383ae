# Runner self-test: a kernel warning must fail the kernel-log check.
echo "WARNING: injected by the VM runner's self-test" > /dev/kmsg
