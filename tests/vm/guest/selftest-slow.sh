# A test that passes but takes more than half its timeout.
sleep 3
