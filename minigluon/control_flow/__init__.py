"""Control-flow operators of MXNet 1.9.1's ``contrib`` namespaces: ``foreach``, ``while_loop``, ``cond``.

* :mod:`~minigluon.control_flow.eager`: ``nd.contrib.foreach / while_loop / cond``, Python loops
  over recorded operators.
* :mod:`~minigluon.control_flow.ops` (``_foreach``), :mod:`~minigluon.control_flow.cond_op`
  (``_cond``), :mod:`~minigluon.control_flow.while_op` (``_while_loop``): the graph operators,
  which hold their bodies as subgraphs (what ``-symbol.json`` files contain).
* :mod:`~minigluon.control_flow.symbolic` (``foreach``) and
  :mod:`~minigluon.control_flow.symbolic_cond` (``while_loop``, ``cond``): the
  ``sym.contrib`` functions, which trace Python bodies into such nodes (so ``F.contrib.*``
  hybridizes).
"""
from minigluon.control_flow import cond_op, ops, while_op  # noqa: F401  (registers the graph operators)
from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401
