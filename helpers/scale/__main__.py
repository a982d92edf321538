"""``python -m helpers.scale``: see :mod:`helpers.scale.cli`."""
from .cli import main

raise SystemExit(main())
