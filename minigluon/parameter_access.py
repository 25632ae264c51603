"""Reading a Parameter's arrays: ``data``, ``list_data``, ``grad``, ``list_grad``, ``list_ctx``.

These methods of :class:`minigluon.parameter.Parameter` (MXNet 1.9.1's ``gluon.Parameter`` data
access) pick the copy for a context and explain, with MXNet's messages, why there is none yet:
initialization deferred to the first forward pass (:class:`DeferredInitializationError`), never
initialized, not initialized on that context, or ``grad_req='null'``. They only read the
parameter's state, so they live in this base class apart from the rest of the ``Parameter`` class
(construction, properties, initialization, loading) and can be read on their own.
:mod:`minigluon.parameter` imports this module once its error classes are defined.
"""
from minigluon.base import NotSupportedError
from minigluon.context import current_context
from minigluon.parameter import DeferredInitializationError


class _ParameterAccess:
    """The data and gradient accessors of :class:`~minigluon.parameter.Parameter` (a base class)."""

    def _check_and_get(self, arr_list, ctx):
        """The copy of ``arr_list`` (``_data`` or ``_grad``) on ``ctx``; all of them when ``ctx``
        is the type ``list`` (a sentinel, as MXNet's); the only one, else the current context's,
        when ``ctx`` is None. Raises, with MXNet's messages, when there is none yet."""
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            idx = self._ctx_map.get(ctx)
            if idx is not None:
                return arr_list[idx]
            raise RuntimeError("Parameter '%s' was not initialized on context %s. It was only "
                               "initialized on %s." % (self.name, ctx, self._ctx_list))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch "
                "of data through the network before accessing Parameters. You can also avoid "
                "deferred initialization by specifying in_units, num_features, etc., for network "
                "layers." % self.name)
        raise RuntimeError("Parameter '%s' has not been initialized. Note that you should initialize "
                           "parameters and create Trainer with Block.collect_params() instead of "
                           "Block.params because the later does not include Parameters of nested "
                           "child Blocks; a network must be initialized before its first call: "
                           "net.initialize(), e.g. net.initialize(mx.init.Xavier())" % self.name)

    def data(self, ctx=None):
        """This parameter's array on ``ctx`` (the only copy when ``ctx`` is None and there is one).

        Raises
        ------
        DeferredInitializationError
            When initialization waits for the first forward pass.
        RuntimeError
            When never initialized, or not initialized on ``ctx``.
        """
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """All copies, in context order."""
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        """The gradient buffer on ``ctx``; RuntimeError when ``grad_req='null'``."""
        self._check_has_grad()
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """All gradient buffers; RuntimeError when ``grad_req='null'``."""
        self._check_has_grad()
        return self._check_and_get(self._grad, list)

    def _check_has_grad(self):
        """Raise RuntimeError for an initialized parameter without gradients (``grad_req='null'``)."""
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because grad_req='null'"
                               % self.name)

    def list_ctx(self):
        """Contexts this parameter lives on (or will, when initialization is deferred)."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        return self._ctx_list

    def row_sparse_data(self, row_id):
        raise NotSupportedError("Parameter '%s': row_sparse_data needs sparse storage, which "
                                "minigluon does not support" % self.name)

    list_row_sparse_data = row_sparse_data
