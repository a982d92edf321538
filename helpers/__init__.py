"""The helpers of the micro-segmentation kit: the logic every lesson stands on.

Modules, one per concept:

* :mod:`helpers.world`     seeded generator of the sample retail world
* :mod:`helpers.schema`    the data contract and the data dictionary
* :mod:`helpers.data`      loading and validation, with a report of every repair and exclusion
* :mod:`helpers.sales`     the one rule for net revenue
* :mod:`helpers.uplift`    randomized tests, uplift models and curves, targeting decisions (a sub-package)
* :mod:`helpers.campaign`  campaign plans: reach, economics, budgets; :mod:`helpers.audiences` the export
* :mod:`helpers.spillover` influence and spill-over to friends
* :mod:`helpers.grading`   the only reader of the hidden truth: grades what the methods chose
* :mod:`helpers.exercises` self-checking exercises; lesson exercises live in :mod:`helpers.exercise_bank`
* :mod:`helpers.plots`     the course's plot style and shared plots
* :mod:`helpers.colab`     installing only what Google Colab lacks
* :mod:`helpers.scale`     lesson 10: the feature table as one SQL definition for DuckDB and Spark
"""

__version__ = "0.1.0"
