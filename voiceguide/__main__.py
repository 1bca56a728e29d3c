"""``python -m voiceguide``: the same as the ``voiceguide`` command."""

import sys

from .cli import main

sys.exit(main())
