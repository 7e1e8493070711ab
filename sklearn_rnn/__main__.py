"""``python -m sklearn_rnn``: the tutorial's demo, or ``fit`` and ``predict`` on CSV files.

The commands live in :mod:`sklearn_rnn._cli`.
"""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
