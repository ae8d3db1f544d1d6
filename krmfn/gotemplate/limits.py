"""The sandbox's budgets on one execution of a user template.

Go's text/template has none: a template is trusted code there.  krmfn runs
templates that come with a functionConfig, once per workload, so each
execution is bounded; going over a budget is a template error (an error
result naming the template and the workload), never a hang or a machine
out of memory:

* :data:`MAX_SECONDS`: wall-clock time of one execution (checked as the
  executor walks nodes, iterates ranges and calls functions);
* :data:`MAX_OUTPUT`: characters one execution writes, and the size of any
  string a function returns;
* :data:`MAX_ITEMS`: items of any list or map a function returns (``until``,
  ``untilStep``, ``seq`` and ``repeat`` refuse before they allocate).

What a template renders is read as YAML with the run's alias budget
(:mod:`krmfn.istio.podshape`).
"""

from __future__ import annotations

from .funcs import fail

MAX_SECONDS = 5.0
MAX_OUTPUT = 1 << 20
MAX_ITEMS = 100_000


def check_items(count: int, what: str) -> None:
    """Refuse, before allocating, a function result of ``count`` items."""
    if count > MAX_ITEMS:
        raise fail(f"{what} would make {count} items, over the template sandbox's limit of {MAX_ITEMS}")


def check_chars(count: int, what: str) -> None:
    """Refuse, before allocating, a function result of ``count`` characters."""
    if count > MAX_OUTPUT:
        raise fail(f"{what} would make {count} characters, over the template sandbox's limit of {MAX_OUTPUT}")
