"""``python -m lstm_sim`` behaves exactly like the ``lstm-sim`` command."""

import sys

from lstm_sim.cli import main

sys.exit(main())
