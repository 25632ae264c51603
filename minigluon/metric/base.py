"""The metric machinery: the ``EvalMetric`` base, the name registry behind :func:`create`,
label/prediction checks, and the metrics built from other pieces (CompositeEvalMetric, Loss,
CustomMetric, ``np``). The concrete metrics live in the sibling modules ``classification``,
``regression`` and ``probability``; :mod:`minigluon.metric` re-exports everything.
"""
import warnings

import numpy

from minigluon import registry
from minigluon._fp_errors import fp_errors_ignored
from minigluon.base import TypeAssertionError, ValueAssertionError
from minigluon.ndarray import NDArray

# where the sums start: a float64 zero, so NumPy scalars add up in float64 (EvalMetric.get)
_ZERO = numpy.float64(0.0)


def register(klass, *aliases):
    """Class decorator: register an :class:`EvalMetric` subclass for :func:`create` under its
    lowercase class name and the lowercase ``aliases``.

    As MXNet 1.9.1's ``mx.metric.register``, a name registered before to another class is
    taken over with a ``UserWarning``.

    Raises
    ------
    TypeError
        ``klass`` is not an :class:`EvalMetric` subclass (a ``TypeAssertionError``, also an
        ``AssertionError``, which MXNet raises).
    """
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeAssertionError('metric.register: expected a subclass of EvalMetric, got %r'
                                 % (klass,))
    for name in (klass.__name__,) + aliases:
        _add_name(name.lower(), klass)
    return klass


def alias(*aliases):
    """Class decorator registering an :class:`EvalMetric` subclass under the extra names
    ``aliases`` (lowercase) only, as MXNet 1.9.1's ``mx.metric.alias``; used with
    :func:`register` for the class name: ``@mx.metric.register`` over ``@mx.metric.alias('e1')``."""
    def reg(klass):
        if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
            raise TypeAssertionError('metric.alias: expected a subclass of EvalMetric, got %r'
                                     % (klass,))
        for name in aliases:
            _add_name(name.lower(), klass)
        return klass
    return reg


def _add_name(name, klass):
    if _REGISTRY.get(name, klass) is not klass:
        old = _REGISTRY[name]
        warnings.warn('New metric %s.%s registered with name %s is overriding existing metric '
                      '%s.%s' % (klass.__module__, klass.__name__, name, old.__module__,
                                 old.__name__), UserWarning, stacklevel=3)
    _REGISTRY[name] = klass


def _alias(*aliases):
    """minigluon's own shorthand: :func:`register` under the class name and ``aliases``."""
    return lambda klass: register(klass, *aliases)


def _np(x):
    if isinstance(x, NDArray):
        return x.asnumpy()
    return numpy.asarray(x)


def _is_array(x):
    return isinstance(x, (NDArray, numpy.ndarray))


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in count (or in shape when ``shape``).

    With ``wrap``, a single array is wrapped in a list. Raises ValueError on a mismatch.
    """
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError('Shape of labels {} does not match shape of predictions {}'
                         .format(label_shape, pred_shape))
    if wrap:
        labels = [labels] if _is_array(labels) else labels
        preds = [preds] if _is_array(preds) else preds
    return labels, preds


class EvalMetric:
    """Base class of metrics.

    Parameters
    ----------
    name : str
    output_names, label_names : list of str, optional
        Keys used by :meth:`update_dict`.

    Writing one, as in MXNet 1.9.1: subclass it, pass ``name`` (and any settings, which
    :meth:`get_config` reports) to ``super().__init__``, and override ``update(labels, preds)``
    (lists of NDArrays) to add to both the local and the global statistics: ``sum_metric`` /
    ``num_inst`` and ``global_sum_metric`` / ``global_num_inst``, passing
    ``has_global_stats=True`` to ``super().__init__`` (without it, :meth:`get_global` gives the
    local statistics, as in MXNet). Decorate the class with ``@mx.metric.register`` (and
    ``@mx.metric.alias`` for short names) for ``mx.metric.create('<lowercase class name>')``. A plain function
    ``feval(label, pred) -> value`` (NumPy arrays) needs no class: :class:`CustomMetric`.
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return 'EvalMetric: {}'.format(dict(self.get_name_value()))

    def get_config(self):
        """A dict that :func:`create` turns back into an equal metric."""
        config = dict(self._kwargs)
        config.update({'metric': type(self).__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from dicts of named arrays, picking ``label_names``/``output_names`` (all if None)."""
        preds = [pred[n] for n in self.output_names] if self.output_names is not None else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None else list(label.values())
        self.update(labels, preds)

    def update(self, labels, preds):
        raise NotImplementedError('%s must implement update' % type(self).__name__)

    def _add(self, value, count):
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self):
        """Clear local and global statistics."""
        self.num_inst = 0
        self.sum_metric = _ZERO
        self.global_num_inst = 0
        self.global_sum_metric = _ZERO

    def reset_local(self):
        """Clear the local statistics only."""
        self.num_inst = 0
        self.sum_metric = _ZERO

    def get(self):
        """``(name, value)`` of the local statistics; value is NaN before any update.

        The sums start at a float64 zero (:meth:`reset`), so that a subclass's ``update`` adding
        NumPy scalars (``x.sum().asscalar()``, a float32) sums them in float64, as MXNet 1.9.1
        does on NumPy < 1.24 (``0.0 + np.float32(x)`` is a float64 there; on NumPy 2 it stays a
        float32); the value is a Python float."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, _python_number(self.sum_metric) / self.num_inst)

    def get_global(self):
        """``(name, value)`` of the statistics since the last :meth:`reset` (divided as in
        :meth:`get`). A metric made without ``has_global_stats=True`` (a subclass whose
        ``update`` keeps only ``sum_metric`` / ``num_inst``) gives :meth:`get`'s value, as in
        MXNet 1.9.1; minigluon's metrics keep global statistics."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, _python_number(self.global_sum_metric) / self.global_num_inst)

    def get_name_value(self):
        """A list of ``(name, value)`` pairs."""
        name, value = self.get()
        if not isinstance(name, list):
            name, value = [name], [value]
        return list(zip(name, value))

    def get_global_name_value(self):
        """A list of ``(name, value)`` pairs of :meth:`get_global`."""
        name, value = self.get_global()
        if not isinstance(name, list):
            name, value = [name], [value]
        return list(zip(name, value))


# the name -> class table of metrics: mx.registry's table for EvalMetric (as in MXNet 1.9.1,
# ``mx.registry.get_registry(mx.metric.EvalMetric)`` lists them), and its create for the
# dict and JSON forms of ``create`` (what ``get_config`` returns)
_REGISTRY = registry._table(EvalMetric)
_create_registered = registry.get_create_func(EvalMetric, 'metric')


@_alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values."""

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        self.metrics = [create(m) for m in (metrics or [])]
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def add(self, metric):
        """Add a metric (instance, name or callable)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``; raises ValueError when out of range."""
        if not 0 <= index < len(self.metrics):
            raise ValueError('Metric index {} is out of range 0 and {}'.format(index, len(self.metrics)))
        return self.metrics[index]

    def update_dict(self, labels, preds):
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, str):
                name, value = [name], [value]
            names.extend(name)
            values.extend(value)
        return names, values

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super().get_config()
        config['metrics'] = [m.get_config() for m in self.metrics]
        return config


@_alias()
class Loss(EvalMetric):
    """Mean of loss values: the sum of every prediction array over its number of elements."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @fp_errors_ignored   # inf + -inf is nan silently: MXNet sums with its nd.sum operator
    def update(self, _, preds):
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = _np(pred)
            self._add(float(pred.sum()), pred.size)


@_alias()
class Torch(Loss):
    """:class:`Loss` under the name ``'torch'`` (MXNet 1.9.1 kept it for Torch criterions)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@_alias()
class Caffe(Loss):
    """:class:`Loss` under the name ``'caffe'`` (MXNet 1.9.1 kept it for Caffe loss layers)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@_alias()
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred) -> value`` or ``(sum, count)`` on NumPy arrays."""

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if '<' in name:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names, has_global_stats=True)
        self._feval, self._allow_extra_outputs = feval, allow_extra_outputs

    def update(self, labels, preds):
        """Apply ``feval`` to each (label, prediction) pair.

        With ``allow_extra_outputs`` the counts may differ and the surplus is ignored (a network
        returning ``[softmax, loss]`` scored against ``[label]``). MXNet 1.9.1 then also skips
        wrapping a single array in a list, so a bare NDArray would be scored row by row; here it
        is wrapped as in the checked case.
        """
        if self._allow_extra_outputs:
            labels = [labels] if _is_array(labels) else labels
            preds = [preds] if _is_array(preds) else preds
        else:
            labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            res = self._feval(_np(label), _np(pred))
            if isinstance(res, tuple):
                self._add(_python_number(res[0]), res[1])
            else:
                self._add(_python_number(res), 1)


def _python_number(value):
    """A NumPy scalar as a Python number (a float32 one as the float64 of the same value), other
    values unchanged: ``feval`` results are summed in float64, as MXNet 1.9.1 sums them on the
    NumPy < 1.24 it requires (``0.0 + np.float32(x)`` is a float64 there). NumPy 2 would keep a
    float32 sum, whose rounding grows with the number of updates."""
    return value.item() if isinstance(value, numpy.generic) else value


def np(numpy_feval, name=None, allow_extra_outputs=False):   # noqa: F811 (MXNet's name: metric.np)
    """Wrap a NumPy function ``f(label, pred)`` as a :class:`CustomMetric`."""
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)


def create(metric, *args, **kwargs):
    """A metric from an instance (returned as is), a registered name (``'acc'``, ``'f1'``...), a
    callable (wrapped in :class:`CustomMetric`), a list of these (a composite), or what
    :meth:`EvalMetric.get_config` returns: the dict (the class name under ``'metric'``), its JSON
    string, or the JSON ``'["name", {arguments}]'`` (these three as MXNet 1.9.1's registry; further
    arguments are ignored with a dict, as there).

    Raises
    ------
    ValueError
        For an unknown name or an unsupported type (a ``ValueAssertionError``: MXNet 1.9.1
        asserts both).
    KeyError
        For a dict without ``'metric'``, as MXNet 1.9.1.
    """
    if callable(metric) and not isinstance(metric, EvalMetric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, EvalMetric):
        return metric
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, str) and not metric.startswith(('[', '{')) \
            and metric.lower() not in _REGISTRY:
        raise ValueAssertionError('Metric %r is not registered; known metrics: %s'
                                  % (metric, ', '.join(sorted(_REGISTRY))))
    if isinstance(metric, (str, dict)):
        return _create_registered(metric, *args, **kwargs)
    raise ValueAssertionError('metric must be an EvalMetric, a name, a callable, a list or a config '
                              'dict, got %s' % type(metric).__name__)
