"""The course machinery, installed as ``kit_tools`` (see pyproject.toml): the one lesson list and the shared
headers (:mod:`kit_tools.sync_notebooks`), storing lessons with their outputs (:mod:`kit_tools.store_notebooks`)
and running them headless (:mod:`kit_tools.run_lessons`). The helpers never import these."""
