"""The data behind the lecture's demos, one module per scenario.

Every generator takes a seeded ``numpy.random.Generator`` and uses no other randomness,
so the same seed gives the same data on every machine. Nothing here imports Qt.

- ``gender_stories``: short stories whose pronouns agree with the last person named.
- ``long_lag``: recall the first symbol after a long run of distractors (an LSTM against
  an RNN, and a GRU beside both).
- ``counting``: a^n b^n strings, whose ends are predictable only by counting.
- ``sine``: next-value regression on noisy sine waves.
- ``python_code``: characters of Python's own standard library, labelled with what a
  reader knows at each character (inside a string, a comment, indentation, brackets).
"""
