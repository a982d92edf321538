"""The one validator's parts, shared by both loading paths (:mod:`helpers.data` and :mod:`helpers.owndata`).

* :mod:`helpers.validation.report`: the exclusion bookkeeping (:class:`Ledger`: first reason wins, repairs and
  exclusions by reason, excluded rows with their line in the file) and the :class:`ValidationReport` it writes;
* :mod:`helpers.validation.values`: the one value parser (:class:`ValueParser`: numbers, ids, true/false, dates,
  codes and text, every tidying of a value reported as a repair).
"""
from .report import DataContractError, Ledger, MappingError, ValidationReport
from .values import ValueParser

__all__ = ["DataContractError", "Ledger", "MappingError", "ValidationReport", "ValueParser"]
