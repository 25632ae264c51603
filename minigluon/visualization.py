"""``mx.viz``: a text summary of a Symbol graph (:func:`print_summary`) and a Graphviz drawing of it
(:func:`plot_network`), as MXNet 1.9.1's ``mxnet.visualization``.

Both read the graph from the Symbol's MXNet JSON (``tojson()``: nodes in topological order, each
an operator or a variable) and, when ``shape`` is given, every intermediate shape from
``get_internals().infer_shape_partial``. For a Gluon network, get the Symbol with
``net(mx.sym.var('data'))``, or call ``Block.summary`` on real input instead.

A variable is an *input* when ``shape`` names it, or when it looks like neither a parameter nor
an auxiliary state; it is a *parameter* when Gluon gave it a shape or an initializer, or when its
name ends as parameters' names do (``_weight``, ``_bias``, ``_gamma``, ``_beta``, the running or
moving statistics).

Where MXNet 1.9.1 is wrong, these do better (each is a test in ``tests/test_visualization.py``):

* Parameter counts. MXNet computes them from the operator's attributes and the *channel count*
  of the previous layer, so a ``FullyConnected`` after a convolution counts ``(channels + 1) x
  num_hidden`` instead of ``(channels x height x width + 1) x num_hidden``, and layers it does not
  know (RNN, LayerNorm, Deconvolution, PReLU...) count 0. Here a layer counts the elements of the
  parameters it reads, from their inferred shapes; auxiliary states (BatchNorm's running mean
  and variance) are not counted, as in MXNet's table, and a parameter shared by two layers is
  counted once in the total.
* Without ``shape``, MXNet prints numbers computed from unknown sizes; here a layer whose
  parameter shapes are not known yet shows ``?``, and so does the total.
* MXNet lists only the graph's first variable; here every input is a row (a label too).
* An edge from an operator with several outputs is labelled with the shape of the output it
  carries (MXNet labels every such edge with the last output's shape).
* With ``hide_weights=False`` the parameters are drawn as labelled ovals (MXNet draws empty ones).
"""
import json
import numbers
import re
import warnings

import numpy as np

from minigluon.base import MissingDependencyError, MXNetTypeError, MXNetValueError

__all__ = ['print_summary', 'plot_network']

_PARAM_SUFFIXES = ('_weight', '_bias', '_beta', '_gamma', '_moving_var', '_moving_mean',
                   '_running_var', '_running_mean')


class _Graph:
    """The nodes of ``symbol`` with, for each, its output shapes and dtypes (None when unknown),
    and which variables are inputs, parameters and auxiliary states."""

    def __init__(self, symbol, shape, dtype):
        from minigluon.symbol import Symbol
        if not isinstance(symbol, Symbol):
            raise MXNetTypeError('symbol must be a Symbol, got %s' % type(symbol).__name__)
        self.nodes = json.loads(symbol.tojson())['nodes']
        self.given = _checked(symbol, 'shape', shape, _check_shape)
        dtype = _checked(symbol, 'dtype', dtype, _check_dtype) if dtype is not None else None
        internals = symbol.get_internals()
        names = internals.list_outputs()
        shapes = internals.infer_shape_partial(**self.given)[1] if shape is not None else None
        types = internals.infer_type(**dtype)[1] if dtype is not None else None
        arg_shapes = dict(zip(symbol.list_arguments(),
                              symbol.infer_shape_partial(**self.given)[0]))
        self.aux = set(symbol.list_auxiliary_states())
        # internals' outputs come node by node, in the JSON's node order
        counts = [node.num_visible for node in symbol._nodes()]
        assert len(counts) == len(self.nodes) and sum(counts) == len(names)
        self.outputs, pos = [], 0
        for count in counts:
            self.outputs.append([(shapes[i] if shapes is not None else None,
                                  types[i] if types is not None else None)
                                 for i in range(pos, pos + count)])
            pos += count
        self.param_shapes = {name: arg_shapes.get(name) for name in arg_shapes}

    def is_param(self, node):
        if node['op'] != 'null' or node['name'] in self.given:
            return False
        attrs = node.get('attrs', {})
        return (node['name'] in self.aux or '__shape__' in attrs or '__init__' in attrs
                or node['name'].endswith(_PARAM_SUFFIXES))

    def param_count(self, name):
        """Elements of the parameter ``name`` (None when its shape is not known; 0 for aux)."""
        if name in self.aux:
            return 0
        shp = self.param_shapes.get(name)
        if not shp or 0 in shp:
            return None
        return int(np.prod(shp, dtype=np.int64))


def _check_shape(name, value):
    if not isinstance(value, (tuple, list)) or any(
            isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0 for d in value):
        raise MXNetValueError('shape[%r] must be a tuple of sizes >= 0, got %r' % (name, value))
    return tuple(int(d) for d in value)


def _check_dtype(name, value):
    try:
        return np.dtype(value)
    except (TypeError, ValueError):
        raise MXNetTypeError('dtype[%r] must be a NumPy dtype, got %r' % (name, value)) from None


def _checked(symbol, what, given, check):
    """``given`` (a dict of argument name -> shape or dtype) with each name and value checked."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise MXNetTypeError('%s must be a dict of input name -> %s, got %s'
                             % (what, 'shape tuple' if what == 'shape' else 'dtype', type(given).__name__))
    arguments = symbol.list_arguments()
    for name in given:
        if not isinstance(name, str):
            raise MXNetTypeError('%s: the names must be str, got %s' % (what, type(name).__name__))
        if name not in arguments:
            raise MXNetValueError('%s: %r is not an argument of the symbol; its arguments are %s'
                                  % (what, name, arguments))
    return {name: check(name, value) for name, value in given.items()}


def _dims(shape):
    """MXNet's shape text: the sizes after the batch axis joined by 'x' ('' when unknown)."""
    if shape is None or (len(shape) and 0 in shape[1:]):
        return ''
    return 'x'.join(str(d) for d in shape[1:])


def _row(fields, stops):
    line = ''
    for field, stop in zip(fields, stops):
        line = (line + str(field))[:stop]
        line += ' ' * (stop - len(line))
    print(line)


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print a table of the layers of ``symbol``: name and operator, output shape (without the
    batch axis), number of parameters and the layers it reads (MXNet 1.9.1 ``mx.viz.print_summary``,
    with correct parameter counts: see the module docstring).

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple, optional
        Input shapes (batch axis first); without them the shape column is empty and parameter
        counts are shown only where the layer's attributes fix them.
    line_length : int
        Width of the table in characters.
    positions : sequence of 4 floats or ints
        Right edges of the four columns: fractions of ``line_length`` when the last is <= 1,
        else character positions.

    Raises
    ------
    MXNetTypeError
        For a ``symbol`` that is not a Symbol, a ``shape`` that is not a dict of str, a
        ``line_length`` that is not an int or ``positions`` that are not numbers.
    MXNetValueError
        For a ``shape`` naming what is not an argument of ``symbol`` or giving a size < 0, a
        ``line_length`` < 1, or ``positions`` that are not four increasing numbers >= 0 (MXNet
        prints a garbled table for such a ``line_length`` or ``positions``).
    """
    graph = _Graph(symbol, shape, None)
    if isinstance(line_length, bool) or not isinstance(line_length, numbers.Integral):
        raise MXNetTypeError('line_length must be an int, got %s' % type(line_length).__name__)
    if line_length < 1:
        raise MXNetValueError('line_length must be an int >= 1, got %d' % line_length)
    if (not isinstance(positions, (tuple, list)) or
            any(isinstance(p, bool) or not isinstance(p, numbers.Real) for p in positions)):
        raise MXNetTypeError('positions must be a list of 4 numbers, got %r' % (positions,))
    stops = list(positions)
    if len(stops) != 4 or stops[0] < 0 or any(b <= a for a, b in zip(stops, stops[1:])):
        raise MXNetValueError('positions must be 4 increasing column edges >= 0, got %r' % (positions,))
    if stops[-1] <= 1:
        stops = [int(line_length * p) for p in stops]
    elif not all(isinstance(p, numbers.Integral) for p in stops):
        raise MXNetValueError('positions in characters must be ints (or all four fractions of '
                              'line_length, the last <= 1), got %r' % (positions,))
    print('_' * line_length)
    _row(['Layer (type)', 'Output Shape', 'Param #', 'Previous Layer'], stops)
    print('=' * line_length)
    nodes, rows = graph.nodes, []
    counted, total, unknown = set(), 0, False
    for i, node in enumerate(nodes):
        if node['op'] == 'null' and graph.is_param(node):
            continue
        previous, params = [], 0
        for src, _, *_ in node.get('inputs', []):
            other = nodes[src]
            if graph.is_param(other):
                count = graph.param_count(other['name'])
                if count is None:
                    params = None
                elif params is not None:
                    params += count
                if other['name'] not in counted:
                    counted.add(other['name'])
                    total, unknown = (total + count, unknown) if count is not None else (total, True)
            else:
                previous.append(other['name'])
        outs = graph.outputs[i]
        shapes = ', '.join(s for s in (_dims(o[0]) for o in outs) if s)
        rows.append([['%s(%s)' % (node['name'], node['op']), shapes,
                      '?' if params is None else params, previous[0] if previous else '']]
                    + [['', '', '', name] for name in previous[1:]])
    for k, lines in enumerate(rows):
        for fields in lines:
            _row(fields, stops)
        print(('=' if k == len(rows) - 1 else '_') * line_length)
    print('Total params: %s' % (('%d + ?' % total) if unknown else total))
    print('_' * line_length)


_COLOURS = ('#8dd3c7', '#fb8072', '#ffffb3', '#bebada', '#80b1d3', '#fdb462', '#b3de69', '#fccde5')


def _tuple_text(attrs, key, default):
    value = attrs.get(key)
    return 'x'.join(re.findall(r'\d+', value)) if value else default


def _look(node):
    """``(label, colour)`` of an operator node in MXNet's drawings."""
    op, attrs, name = node['op'], node.get('attrs', {}), node['name']
    if op == 'Convolution':
        return ('Convolution\n%s/%s, %s' % (_tuple_text(attrs, 'kernel', ''),
                                             _tuple_text(attrs, 'stride', '1'), attrs.get('num_filter'))), _COLOURS[1]
    if op == 'FullyConnected':
        return 'FullyConnected\n%s' % attrs.get('num_hidden'), _COLOURS[1]
    if op == 'BatchNorm':
        return name, _COLOURS[3]
    if op == 'Activation':
        return 'Activation\n%s' % attrs.get('act_type'), _COLOURS[2]
    if op == 'LeakyReLU':
        return 'LeakyReLU\n%s' % attrs.get('act_type', 'Leaky'), _COLOURS[2]
    if op == 'Pooling':
        return ('Pooling\n%s, %s/%s' % (attrs.get('pool_type'), _tuple_text(attrs, 'kernel', '[]'),
                                         _tuple_text(attrs, 'stride', '1'))), _COLOURS[4]
    if op in ('Concat', 'Flatten', 'Reshape'):
        return name, _COLOURS[5]
    if op == 'Softmax':
        return name, _COLOURS[6]
    return name, _COLOURS[7]


def plot_network(symbol, title='plot', save_format='pdf', shape=None, dtype=None, node_attrs=None,
                 hide_weights=True):
    """A Graphviz drawing of ``symbol`` (MXNet 1.9.1 ``mx.viz.plot_network``): one box per
    operator (labelled and coloured as MXNet's: e.g. ``Convolution\\n3x3/1, 8``), one oval per
    input, edges from each operator back to what it reads.

    Parameters
    ----------
    symbol : Symbol
    title : str
        The graph's name.
    save_format : str
        The ``format`` given to ``graphviz.Digraph`` (``'pdf'``, ``'png'``, ``'svg'``...).
    shape : dict of str to tuple, optional
        Input shapes: edges are labelled with the shape they carry (without the batch axis).
    dtype : dict of str to dtype, optional
        Input dtypes: edge labels get ``(float32)``... appended.
    node_attrs : dict, optional
        Graphviz node attributes that replace the defaults (a box 1.3 x 0.8034, filled).
    hide_weights : bool
        Leave out parameter and auxiliary-state nodes (True) or draw them as ovals.

    Returns
    -------
    graphviz.Digraph

    Raises
    ------
    MissingDependencyError
        An ``ImportError`` saying ``pip install graphviz`` when the ``graphviz`` package is not
        installed (rendering also needs Graphviz's ``dot`` program).
    MXNetTypeError, MXNetValueError
        As :func:`print_summary` for ``shape``; the same for ``dtype`` (a name that is not an
        argument, a value that is not a NumPy dtype).
    """
    try:
        from graphviz import Digraph
    except ModuleNotFoundError:     # (an installed but broken graphviz raises its own ImportError)
        raise MissingDependencyError('mx.viz.plot_network draws with the graphviz package, which '
                                     'is not installed: pip install graphviz') from None
    graph = _Graph(symbol, shape, dtype)
    nodes = graph.nodes
    names = [n['name'] for n in nodes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        warnings.warn('several nodes are named %s: their drawings merge, which may draw a cycle'
                      % ', '.join(repeated), RuntimeWarning, stacklevel=2)
    base = {'shape': 'box', 'fixedsize': 'true', 'width': '1.3', 'height': '0.8034', 'style': 'filled'}
    base.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        attr = dict(base)
        if node['op'] == 'null':
            if graph.is_param(node) and hide_weights:
                hidden.add(node['name'])
                continue
            attr.update(shape='oval', fillcolor=_COLOURS[0])
            label = node['name']
        else:
            label, attr['fillcolor'] = _look(node)
        dot.node(name=node['name'], label=label, **attr)
    for node in nodes:
        if node['op'] == 'null':
            continue
        inputs = node['inputs'][:1] if node['op'] == '_contrib_BilinearResize2D' else node['inputs']
        for src, index, *_ in inputs:
            if nodes[src]['name'] in hidden:
                continue
            out_shape, out_type = graph.outputs[src][index]
            label = _dims(out_shape) if shape is not None else ''
            if dtype is not None and out_type is not None:
                label += '(%s)' % np.dtype(out_type).name
            dot.edge(tail_name=node['name'], head_name=nodes[src]['name'], label=label,
                     dir='back', arrowtail='open')
    return dot
