"""The helpers of the micro-segmentation kit: the logic every lesson stands on.

Modules, one per concept:

* :mod:`helpers.vocabulary` the kit's codes (tables, categories, channels, interests); no dates
* :mod:`helpers.world`     seeded generator of the sample retail world; :mod:`helpers.messy_exports` its shop exports
* :mod:`helpers.schema`    the data contract and the data dictionary
* :mod:`helpers.validation` the one validator: the exclusion ledger and the value parser
* :mod:`helpers.data`      loading the sample's files; :mod:`helpers.owndata` your own files, through a mapping
* :mod:`helpers.sales`     the one rule for net revenue
* :mod:`helpers.features`  one definition of every customer measure: pandas builder, SQL compiler, presets
* :mod:`helpers.rfm`, :mod:`helpers.lifecycle`, :mod:`helpers.clustering`, :mod:`helpers.rules`,
  :mod:`helpers.predict`, :mod:`helpers.monitoring`, :mod:`helpers.privacy` the lessons' methods
* :mod:`helpers.clv`       customer lifetime value: the purchase history, BG/NBD, Gamma-Gamma, tracking
* :mod:`helpers.real_data` the real public data sets of datasets/real/, through the template's reader
* :mod:`helpers.pipeline`  the template pipeline (console command ``kit-pipeline``)
* :mod:`helpers.uplift`    randomized tests, uplift models and curves, targeting decisions (a sub-package)
* :mod:`helpers.campaign`  campaign plans: reach, economics, budgets; :mod:`helpers.audiences` the export
* :mod:`helpers.spillover` influence and spill-over to friends
* :mod:`helpers.grading`   the only reader of the hidden truth: grades what the methods chose
* :mod:`helpers.exercises` self-checking exercises; lesson exercises live in :mod:`helpers.exercise_bank`
* :mod:`helpers.plots`     the course's plot style and shared plots
* :mod:`helpers.colab`     installing only what Google Colab lacks
* :mod:`helpers.scale`     lesson 10: the engines that run the feature definition's SQL, Parquet, scoring at scale
"""

__version__ = "0.1.0"
