"""``lstm-sim info MODEL``: describe a model file."""
