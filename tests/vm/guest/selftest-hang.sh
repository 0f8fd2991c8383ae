# Runner self-test: a test that never ends must be stopped and reported.
sleep 1000
