# Runner self-test: a test that fails must be reported as failed.
echo "failing on purpose"
exit 3
