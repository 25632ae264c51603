"""MXNet's ``-symbol.json`` format: a writer byte-compatible with MXNet 1.9.1 and a tolerant reader.

Writer: nnvm's ``JSONGraph`` layout (keys ``nodes``, ``arg_nodes``, ``node_row_ptr``, ``heads``,
``attrs``) printed the way dmlc-core's ``JSONWriter`` prints it: objects and non-trivial arrays
one item per line indented by two spaces per level, ``", "`` before the line break, arrays of
numbers (and of ``[node, index, version]`` entries) on one line unless they hold more than 10
items, string maps on one line when they have a single key. Node attributes are sorted.

Reader: accepts what MXNet accepts (docs/MXNET_SPEC.md section 5) and upgrades old files as MXNet
1.9.1 does: attributes under ``attrs``, ``attr`` or ``param``; two-element input entries;
missing ``node_row_ptr`` or ``attrs`` (a file without ``mxnet_version`` counts as 0.8.0); in
files older than 1.9.1, hidden keys written plainly (``ctx_group``) and ``<input>_<hidden key>``
on an operator (``weight_lr_mult``: ``__lr_mult__`` on that input variable); files older than
0.9 whose operators lack their weight or auxiliary variables (created as ``<node>_<input>``);
below 0.9.4, the initialiser an operator gives its variables (BatchNorm's statistics) added
where a variable has none; below 0.9.5, ``argmax`` / ``argmin`` ``axis=-1`` meaning "flatten".
Legacy operator names (``BatchNorm_v1``, ``Softmax``...) are registered operators or aliases.
``control_deps`` lists are ignored (MXNet 1.9.1 keeps and re-writes them). Anything malformed raises
:class:`~minigluon.base.MXNetFormatError` naming the node, never an IndexError or RecursionError;
so does a file of 0.9 or later whose operator lacks inputs (a FullyConnected without its
weight, a BatchNorm without its statistics), which MXNet 1.9.1 loads into a graph that fails
at shape inference.
"""
import json
import os
import struct

from minigluon.base import MXNetError, MXNetFormatError, read_file
from minigluon.ops.attr import is_hidden_attribute
from minigluon.ops.registry import get_op
from minigluon.symbol.op_names import HIDDEN_KEYS, INPUT_VAR_INIT, accepts_any_attr, MXNET_VERSION, json_op_name, json_row_count
from minigluon.symbol.symbol import _COPIED_KEYS, Symbol, _hidden_key, _Node, new_op_node

__all__ = ['tojson', 'save', 'load', 'load_json']


# ---------------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """dmlc::JSONWriter's layout rules (scope stack of multi-line flags and item counters)."""

    def __init__(self):
        self.out = []
        self.multi = []
        self.count = []

    def _newline(self):
        if not self.multi or self.multi[-1]:
            self.out.append('\n' + ' ' * (2 * len(self.multi)))

    def begin(self, bracket, multi_line):
        self.out.append(bracket)
        self.multi.append(multi_line)
        self.count.append(0)

    def end(self, bracket):
        multi_line, n = self.multi.pop(), self.count.pop()
        if multi_line and n:      # a multi-line scope closes on its own line, whatever its parent
            self.out.append('\n' + ' ' * (2 * len(self.multi)))
        self.out.append(bracket)

    def key(self, key):
        if self.count[-1]:
            self.out.append(', ')
        self._newline()
        self.out.append(_quote(key) + ': ')
        self.count[-1] += 1

    def item(self):
        if self.count[-1]:
            self.out.append(', ')
        self.count[-1] += 1
        self._newline()

    def value(self, v):
        self.out.append(_quote(v) if isinstance(v, str) else str(int(v)))

    def int_list(self, values):
        self.begin('[', len(values) > 10)
        for v in values:
            self.item()
            self.value(v)
        self.end(']')

    def entries(self, entries):
        self.begin('[', len(entries) > 10)
        for entry in entries:
            self.item()
            self.int_list(entry)
        self.end(']')

    def string_map(self, mapping):
        self.begin('{', len(mapping) > 1)
        for k in sorted(mapping):
            self.key(k)
            self.value(mapping[k])
        self.end('}')


_ESCAPES = {'\r': '\\r', '\n': '\\n', '\\': '\\\\', '\t': '\\t', '"': '\\"'}


def _quote(text):
    return '"' + ''.join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def tojson(symbol):
    """The JSON text of ``symbol``'s graph, as ``mx.sym.Symbol.tojson()`` writes it."""
    w = _Writer()
    _write_graph(w, symbol, top=True)
    return ''.join(w.out)


def _write_graph(w, symbol, top):
    """One graph object; a control-flow node's subgraphs are nested graphs, written after its
    inputs under ``subgraphs`` and without the ``attrs`` (version) key, as MXNet 1.9.1 does."""
    nodes = symbol._nodes()
    index = {id(n): i for i, n in enumerate(nodes)}
    w.begin('{', True)
    w.key('nodes')
    w.begin('[', True)
    for node in nodes:
        w.item()
        _write_node(w, node, index)
    w.end(']')
    w.key('arg_nodes')
    w.int_list([i for i, n in enumerate(nodes) if n.is_variable])
    w.key('node_row_ptr')
    row, ptr = 0, [0]
    for node in nodes:
        row += json_row_count(node)
        ptr.append(row)
    w.int_list(ptr)
    w.key('heads')
    w.entries([(index[id(node)], idx, 0) for node, idx in symbol._outputs])
    if top:
        w.key('attrs')
        w.begin('{', False)
        w.key('mxnet_version')
        w.begin('[', False)
        w.item()
        w.value('int')
        w.item()
        w.value(MXNET_VERSION)
        w.end(']')
        w.end('}')
    w.end('}')


def _write_node(w, node, index):
    """One node object: ``op`` (``"null"`` for a variable), ``name``, its string ``attrs`` (when
    it has any), ``inputs`` as ``[node number, output index, version]`` entries (``index`` maps
    ``id(node)`` to its number in the graph) and a control-flow node's ``subgraphs``."""
    w.begin('{', True)
    w.key('op')
    w.value(node.op if node.op is not None else 'null')
    w.key('name')
    w.value(node.name)
    if node.attrs:
        w.key('attrs')
        w.string_map(node.attrs)
    w.key('inputs')
    w.entries([(index[id(src)], idx, version) for src, idx, version in node.inputs])
    subgraphs = node.state.get('subgraphs') if node.state else None
    if subgraphs:
        w.key('subgraphs')
        w.begin('[', True)
        for sub in subgraphs:
            w.item()
            _write_graph(w, sub, top=False)
        w.end(']')
    w.end('}')


def save(symbol, fname):
    """Write ``symbol.tojson()`` to ``fname`` atomically (UTF-8)."""
    from minigluon.serialization import atomic_write
    with atomic_write(fname, 'wb') as f:
        f.write(tojson(symbol).encode('utf-8'))


# ---------------------------------------------------------------------------------------------------
# Reading


def load(fname):
    """Load a symbol from a ``-symbol.json`` file (see :func:`load_json`).

    Raises
    ------
    MXNetFormatError
        If the file is not a valid symbol file (the message names the file).
    """
    fname = os.fspath(fname)
    data = read_file(fname)
    try:
        return load_json(data)
    except MXNetFormatError as err:
        raise MXNetFormatError('%s: %s' % (fname, err)) from None


def _fail(msg, *args):
    raise MXNetFormatError('load_json: ' + (msg % args if args else msg))


# Attributes that set how many inputs or outputs an operator node has (Concat's num_args,
# SliceChannel's num_outputs, multi_sgd_update's num_weights...): building the node makes a name
# and a slot per unit, so SliceChannel(num_outputs=2147483647) in a 100-byte file would make a
# list of 2**31 names (tens of GB, minutes). A file may declare, over all its nodes (subgraphs
# included), at most as many as it has characters, or COUNT_BUDGET_MIN for a smaller file.
# tests/reliability/test_fuzz_loaders.py derives this list from the registered operators.
COUNT_ATTRS = ('num_args', 'num_outputs', 'num_arrays', 'num_weights', 'num_tensors', 'sections')
COUNT_BUDGET_MIN = 65536


class _CountBudget:
    """What is left of a file's budget of :data:`COUNT_ATTRS` units (see there)."""

    def __init__(self, file_size):
        self.file_size = file_size
        self.total = max(COUNT_BUDGET_MIN, file_size)
        self.left = self.total

    def spend(self, cls, params, where):
        """Charge a node's count attributes (still strings) before its operator is built; an
        attribute that does not parse is left to the operator to refuse."""
        for key in COUNT_ATTRS:
            if key not in params or key not in cls.attrs:
                continue
            try:
                value = cls.attrs[key].parse(params[key], cls.name)
            except (TypeError, ValueError, MXNetError):
                continue
            if isinstance(value, int) and value > 0:
                self.left -= value
                if self.left < 0:
                    _fail('%s: %s=%d brings the inputs and outputs the nodes declare to %d, past '
                          '%d, the most a file of %d characters may declare', where, key, value,
                          self.total - self.left, self.total, self.file_size)


def _version(data):
    attrs = data.get('attrs')
    if attrs is None:
        return 800                 # files without graph attributes predate 0.9 (MXNet: 0.8.0)
    if not isinstance(attrs, dict):
        _fail("'attrs' must be an object, got %s", type(attrs).__name__)
    ver = attrs.get('mxnet_version')
    if ver is None:
        return 800
    if (isinstance(ver, list) and len(ver) == 2 and isinstance(ver[1], int)
            and not isinstance(ver[1], bool)):
        return ver[1]
    _fail("attrs.mxnet_version must look like [\"int\", 10901], got %r", ver)


def _entry(raw, built, where, what):
    """Validate one ``[node, index(, version)]`` entry against the nodes read so far."""
    if (not isinstance(raw, (list, tuple)) or len(raw) not in (2, 3)
            or any(not isinstance(v, int) or isinstance(v, bool) for v in raw)):
        _fail('%s: %s entry must be [node_id, output_index, version] of ints, got %r',
              where, what, raw)
    src, idx = raw[0], raw[1]
    version = raw[2] if len(raw) == 3 else 0
    if not 0 <= src < len(built):
        _fail('%s: %s entry %r refers to node %d, which is not an earlier node (%d read so far); '
              'nodes must be in topological order', where, what, list(raw), src, len(built))
    node = built[src]
    if not 0 <= idx < node.num_outputs:
        _fail("%s: %s entry %r asks for output %d of node %d ('%s'), which has %d output(s)",
              where, what, list(raw), idx, src, node.name, node.num_outputs)
    return node, idx, version


def _check_unicode(text, where, what):
    """Refuse lone surrogates (``"\\ud800"``): JSON can spell them, UTF-8 cannot store them."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError as err:
        _fail('%s: %s %r is not valid Unicode (%s)', where, what, text, err.reason)


def _string_attrs(nj, where):
    merged = {}
    for key in ('param', 'attr', 'attrs'):   # legacy spellings first; 'attrs' wins
        value = nj.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            _fail("%s: '%s' must be an object of strings, got %s", where, key, type(value).__name__)
        for k, v in value.items():
            if not isinstance(v, str):
                _fail('%s: attribute %r must be a string, got %r', where, k, v)
            _check_unicode(k, where, 'attribute name')
            _check_unicode(v, where, 'attribute %r' % k)
            merged[k] = v
    return merged


def _split_hidden(attrs, version):
    """Separate operator parameters from hidden (``__key__``) attributes.

    Files older than MXNet 1.9.1 may spell a hidden key plainly (``ctx_group``, ``lr_mult``...):
    it becomes ``__key__``, as MXNet's loader upgrades it. In a 1.9.1 file a plain key stays
    what it is, a parameter (which most operators refuse) or a variable's plain attribute, as in
    MXNet. ``profiler_scope`` keeps its name at every version (MXNet 1.9.1)."""
    params, hidden = {}, {}
    for k, v in attrs.items():
        if is_hidden_attribute(k):
            hidden[k] = v
        elif k == 'profiler_scope' or (k in HIDDEN_KEYS and version < MXNET_VERSION):
            hidden[_hidden_key(k)] = v
        else:
            params[k] = v
    return params, hidden


def _input_hidden_keys(params, cls, version):
    """Pop the ``<input>_<hidden key>`` parameters (``weight_lr_mult``) of a file older than
    MXNet 1.9.1, which mean ``__<hidden key>__`` on that input variable; returns
    ``{key: (input, '__hidden key__', value)}``."""
    found = {}
    if version >= MXNET_VERSION:
        return found
    for k in list(params):
        for hidden in _COPIED_KEYS:
            if k not in cls.attrs and k.endswith('_' + hidden) and len(k) > len(hidden) + 1:
                found[k] = (k[:-len(hidden) - 1], '__%s__' % hidden, params.pop(k))
                break
    return found


def _give_input_hidden_keys(node, found, expected, entries, where):
    """Put what :func:`_input_hidden_keys` found on the named input variables. A key naming no
    input variable stays a plain attribute of an operator without parameters and is refused by
    the others, as MXNet 1.9.1 does ("Cannot find argument"). Where the file left that input
    out (before 0.9) the variable made for it gets the key (MXNet 1.9.1 crashes there)."""
    for k, (arg, key, value) in found.items():
        if arg in expected and entries[expected.index(arg)][0].is_variable:
            entries[expected.index(arg)][0].attrs[key] = value
        elif accepts_any_attr(node.cls):
            node.attrs[k] = value
        else:
            _fail('%s: %s has no attribute %r, and %r is not one of its input variables %s',
                  where, node.op, k, arg, expected)


def _op_node(nj, name, attrs, entries, built, where, version, budget):
    """The graph node of the operator object ``nj`` (``op`` is not ``"null"``).

    ``attrs`` are its string attributes (:func:`_string_attrs`), ``entries`` its checked input
    entries (:func:`_entry`), ``version`` the file's (:func:`_version`). The steps: find the
    operator class; split the attributes into its parameters and hidden ``__key__`` ones,
    upgrading the spellings of older files; charge the count attributes to ``budget``; build
    the operator instance (which parses and checks each attribute string, as eager calls do)
    and the node, keeping the file's own strings; then the inputs, with the variables and
    initialisers files before MXNet 0.9 / 0.9.4 left out (:func:`_add_pre09_variables`,
    :func:`_add_pre094_initialisers`).
    """
    op_name = nj['op']
    try:
        cls = get_op(op_name)
    except MXNetError as err:
        _fail('%s: %s (an operator of your own loads once the module that registers it, with '
              'minigluon.ops.register, is imported)', where, err)
    params, hidden = _split_hidden(attrs, version)
    input_keys = _input_hidden_keys(params, cls, version)
    if accepts_any_attr(cls):     # a plain key such an operator carries ({'k': 'v'})
        for k in [k for k in params if k not in cls.attrs]:
            hidden[k] = params.pop(k)
    if version < 905 and op_name in ('argmax', 'argmin') and params.get('axis') == '-1':
        params.pop('axis')            # before 0.9.5, axis=-1 meant "flatten"
    budget.spend(cls, params, where)
    try:
        op = cls(**params)
    except (TypeError, ValueError, MXNetError) as err:
        _fail('%s: %s', where, err)
    _attach_subgraphs(op, nj.get('subgraphs'), where, version, budget)
    node = new_op_node(op, json_op_name(op_name, cls), name, hidden, [])
    node.attrs = dict(params, **hidden)    # keep the file's own strings
    expected = node.arg_names
    if len(entries) < len(expected) and version < 900:
        _add_pre09_variables(node, entries, expected)
    if len(entries) != len(expected):
        _fail('%s: %s expects %d inputs %s, the file gives %d', where, op_name, len(expected),
              expected, len(entries))
    if version < 904:
        _add_pre094_initialisers(node, entries)
    _give_input_hidden_keys(node, input_keys, expected, entries, where)
    node.inputs = entries
    return node


def _add_pre09_variables(node, entries, expected):
    """Append to ``entries`` a variable ``<node name>_<input>`` for each input in ``expected``
    past those given: files before MXNet 0.9 omit weight and aux variables, which MXNet creates
    with the node's attributes (BatchNorm's statistics get their ``__init__`` afterwards)."""
    for i in range(len(entries), len(expected)):
        var = _Node('%s_%s' % (node.name, expected[i]), node.attrs)
        entries.append((var, 0, 0))


def _add_pre094_initialisers(node, entries):
    """Give the input variables the initialiser their operator gives them (BatchNorm's
    statistics, PReLU's slope: ``INPUT_VAR_INIT``) where they have none: files before MXNet
    0.9.4 stored variables without it, and MXNet adds it on load."""
    for i, init in INPUT_VAR_INIT.get(node.op, {}).items():
        src = entries[i][0] if i < len(entries) else None
        if src is not None and src.is_variable and '__init__' not in src.attrs:
            src.attrs['__init__'] = init


def _attach_subgraphs(op, raw, where, version, budget):
    """Read a control-flow node's ``subgraphs`` (nested graph objects) into ``op.set_subgraphs``."""
    takes = hasattr(op, 'set_subgraphs')
    if raw is None or raw == []:
        if takes:
            _fail('%s: a %s node needs its body under "subgraphs"', where, op.name)
        return
    if not takes:
        _fail('%s: operator %s takes no subgraphs', where, op.name)
    if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
        _fail("%s: 'subgraphs' must be a list of graph objects", where)
    subs = [_build_graph(graph, version, '%s, subgraph %d: ' % (where, k), budget)
            for k, graph in enumerate(raw)]
    try:
        op.set_subgraphs(subs)
    except (ValueError, MXNetError) as err:
        _fail('%s: %s', where, err)


def load_json(json_str):
    """Build a :class:`Symbol` from MXNet ``-symbol.json`` text (``mx.sym.load_json``).

    Parameters
    ----------
    json_str : str or bytes

    Returns
    -------
    Symbol

    Raises
    ------
    MXNetFormatError
        Malformed JSON, a missing or mistyped field, an unknown operator (the message lists the
        closest registered names), bad operator attributes, an input that points forward, to
        itself or past a node's outputs, a wrong input count, or a variable's name used twice.
    TypeError
        If ``json_str`` is neither str nor bytes.
    """
    if isinstance(json_str, (bytes, bytearray)):
        try:
            json_str = bytes(json_str).decode('utf-8')
        except UnicodeDecodeError as err:
            from minigluon import serialization
            if bytes(json_str[:8]) == struct.pack('<Q', serialization.LIST_MAGIC):
                _fail('the text is not UTF-8 but an MXNet NDArray (.params) file, of parameters '
                      'or Trainer states; a graph is the -symbol.json file (SymbolBlock.imports '
                      'takes it first, then the input names, then the .params file)')
            _fail('the text is not UTF-8 (%s)', err)
    if not isinstance(json_str, str):
        raise TypeError('load_json: expected a str, got %s' % type(json_str).__name__)
    try:
        data = json.loads(json_str)
    except (ValueError, RecursionError) as err:
        _fail('not valid JSON (%s)', err)
    if not isinstance(data, dict):
        _fail("expected an object with a 'nodes' list")
    return _build_graph(data, _version(data), '', _CountBudget(len(json_str)))


def _build_graph(data, version, prefix, budget):
    """The Symbol of one graph object (the file's, or a node's subgraph: ``prefix`` says which);
    ``budget`` is the file's :class:`_CountBudget`."""
    if not isinstance(data.get('nodes'), list):
        _fail("%sexpected an object with a 'nodes' list", prefix)
    if not isinstance(data.get('heads'), list) or not data['heads']:
        _fail("%sexpected a non-empty 'heads' list", prefix)
    built = []
    for i, nj in enumerate(data['nodes']):
        if not isinstance(nj, dict):
            _fail('node %d: expected an object, got %s', i, type(nj).__name__)
        op_name, name = nj.get('op'), nj.get('name')
        if not isinstance(op_name, str) or not isinstance(name, str):
            _fail("node %d: 'op' and 'name' must be strings, got %r and %r", i, op_name, name)
        _check_unicode(name, 'node %d' % i, 'name')
        where = "%snode %d ('%s')" % (prefix, i, name)
        # Nodes may share a name, as in MXNet 1.9.1: operators (a layer applied twice),
        # variables (``var('data') + var('data')`` lists the argument 'data' twice), and a
        # variable and an operator (``SliceChannel(var('data'), name='data')``).
        raw_inputs = nj.get('inputs', [])
        if not isinstance(raw_inputs, list):
            _fail("%s: 'inputs' must be a list", where)
        entries = [_entry(e, built, where, 'input') for e in raw_inputs]
        attrs = _string_attrs(nj, where)
        if op_name == 'null':
            if entries:
                _fail('%s: a variable cannot have inputs', where)
            params, hidden = _split_hidden(attrs, version)
            built.append(_Node(name, dict(params, **hidden)))
        else:
            built.append(_op_node(nj, name, attrs, entries, built, where, version, budget))
    heads = [_entry(e, built, prefix + 'heads', 'head')[:2] for e in data['heads']]
    return Symbol(heads)
