"""``python -m abcdl`` is the ``abcdl`` command."""

import sys

from .cli import main

sys.exit(main())
