"""Your own data in: a column mapping (a TOML file you edit) and adapters for the shapes real exports come in.

The mapping says which file holds which table and which column plays which
role (customer id, timestamp, amount, ...). Roles left out are detected from
the column names when exactly one column fits; otherwise the error names the
role to set. Three shapes of order data are read (``invoice_lines``,
``order_lines``, ``transactions``: see :mod:`helpers.owndata.shapes`).

Customers, products, browsing events and a randomized campaign (any number
of arms, outcome columns of your choice) are optional tables. Every row left
out is in the report with its reason and its line in the file; a column that
cannot be read at all (a wrong date format, mixed currencies) stops the run
with a message naming the column and example rows. The books are the kit's
one validator (:mod:`helpers.validation`): the same reasons, in the same
order, and the same repairs as :func:`helpers.data.validate`.

The package's rooms:

* :mod:`~helpers.owndata.mapping`: the TOML mapping, its check and the column roles;
* :mod:`~helpers.owndata.shapes`: reading the files, the three order shapes and the optional tables;
* :mod:`~helpers.owndata.loader`: :func:`load_own_data`, all of it together with one report.

The values are read by :class:`helpers.validation.values.ValueParser`; the
sample written as messy exports is :mod:`helpers.messy_exports`.

Example::

    world = load_own_data("templates/mapping.toml")
    print(world.report)                      # read, kept, repaired, excluded, by reason
"""
from ..messy_exports import (EXAMPLE_MAPPINGS, INVOICE_DATE_FORMAT, invoice_lines_from, transactions_from,
                             write_example_exports)
from ..validation.report import MappingError
from ..validation.values import DATE_FORMATS, MISSING_IDS
from .loader import load_own_data
from .mapping import (ALIASES, NON_PRODUCT_CODES, OPTIONAL_TABLES, ROLES, SETTINGS, SHAPES, STATUSES, check_mapping,
                      load_mapping, resolve_columns)
from .shapes import guess_control, read_campaign, read_customers, read_events, read_orders, read_products

__all__ = ["ALIASES", "DATE_FORMATS", "EXAMPLE_MAPPINGS", "INVOICE_DATE_FORMAT", "MISSING_IDS", "MappingError",
           "NON_PRODUCT_CODES", "OPTIONAL_TABLES", "ROLES", "SETTINGS", "SHAPES", "STATUSES", "check_mapping",
           "guess_control", "invoice_lines_from", "load_mapping", "load_own_data", "read_campaign", "read_customers",
           "read_events", "read_orders", "read_products", "resolve_columns", "transactions_from",
           "write_example_exports"]
