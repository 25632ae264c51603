"""Control-flow operators of MXNet 1.9.1's ``contrib`` namespaces: ``foreach``, ``while_loop``, ``cond``.

* :mod:`~minigluon.control_flow.eager`: ``nd.contrib.foreach / while_loop / cond``, Python loops
  over recorded operators.
* :mod:`~minigluon.control_flow.ops`: the graph operators ``_foreach``, ``_while_loop`` and
  ``_cond``, which hold their bodies as subgraphs (what ``-symbol.json`` files contain).
* :mod:`~minigluon.control_flow.symbolic`: ``sym.contrib.foreach / while_loop / cond``, which
  trace a Python body into such a node (so ``F.contrib.foreach`` hybridizes).
"""
from minigluon.control_flow import ops  # noqa: F401  (registers the graph operators)
from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401
