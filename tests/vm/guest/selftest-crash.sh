# Runner self-test: a guest that crashes must be reported.
echo c > /proc/sysrq-trigger
