# A test that passes but takes more than a third of its timeout.
sleep 3
