"""Input checks shared by the uplift modules: aligned columns, both arms present, a share turned into a count."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

Column = pd.Series | np.ndarray | Sequence[float]


def _inputs(rows=None, **named) -> list[np.ndarray]:
    """The named inputs as float arrays (``treated`` as bool), checked for length, shared index and missing values.

    Rows are paired by position, so pandas inputs with different indexes are
    refused rather than silently mismatched; ``rows`` (the features) only takes
    part in the length and index checks.
    """
    given = ({"features": rows} if rows is not None else {}) | named
    first, reference = next(iter(given.items()))
    for name, values in given.items():
        if len(values) != len(reference):
            raise ValueError(f"{name} has {len(values)} rows but {first} has {len(reference)}")
        if isinstance(values, (pd.Series, pd.DataFrame)) and isinstance(reference, (pd.Series, pd.DataFrame)) \
                and not values.index.equals(reference.index):
            raise ValueError(f"{name} and {first} have different indexes; align them first (e.g. .reindex)")
    if len(reference) == 0:
        raise ValueError(f"{first} has no rows")
    arrays = []
    for name, values in named.items():
        series = (values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))).infer_objects()
        missing = series.isna().to_numpy()
        if missing.any():
            raise ValueError(f"{name} has {missing.sum()} missing values, e.g. at {series.index[missing][:5].tolist()}")
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            hint = " (e.g. table['arm'] == 'treatment')" if name == "treated" else ""
            raise ValueError(f"{name} must be numbers or True/False{hint}, got dtype {series.dtype}")
        arrays.append(series.to_numpy(dtype="float64"))
        if name == "treated":
            if not np.isin(arrays[-1], [0, 1]).all():
                raise ValueError(f"treated must be True/False (1/0), got values {np.unique(arrays[-1])[:5].tolist()}")
            arrays[-1] = arrays[-1] == 1
    return arrays


def _need_arms(treated: np.ndarray, arms: Sequence[str] = ("treated", "control"), why: str = "") -> None:
    for arm in arms:
        if not (treated if arm == "treated" else ~treated).any():
            raise ValueError(f"the {arm} arm is empty{why}")


def _count(share: float, n: int, name: str = "k") -> int:
    if not 0 < share <= 1:
        raise ValueError(f"{name} must be a share of customers in (0, 1], e.g. 0.3 for the top 30%, got {share}")
    return int(np.ceil(round(share * n, 9)))  # round first: 0.7 * 10 is 7.000000000000001 in floating point
