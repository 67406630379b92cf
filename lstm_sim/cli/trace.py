"""``lstm-sim trace MODEL ...``: write the recorded trace of a sequence.
