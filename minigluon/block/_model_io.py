"""``Block.save(prefix)`` / ``Block.load(prefix)``: architecture record plus parameters (MXNet 1.9.1).

``save`` writes two files:

* ``<prefix>-model.json``: one JSON object describing the block tree. Each block is an entry keyed
  ``<class name lower-cased><n>``, ``n`` counting blocks in pre-order from 0 over the whole tree
  (``hybridsequential0``, ``dense1``, ``activation2``...). An entry holds ``orig_name`` (the block's
  ``name``), for HybridBlocks ``hybridized`` and, when a cached graph exists, ``in_format``,
  ``out_format``, ``inputs`` (the JSON of each data variable) and ``symbol`` (the JSON of the
  cached graph), then ``children`` (child ``name`` -> attribute name in the parent), and finally
  the entries of the children themselves, nested inside the parent's entry.
* ``<prefix>-model.params``: the same bytes as ``save_parameters`` (structural keys).

``load`` does not rebuild the architecture: the block must have been constructed the same way.
It gives every block its saved ``name``, re-keys each block's ParameterDict under that name (so
the saved graph's variable names resolve) and renames the Parameters to match (MXNet 1.9.1 leaves
``Parameter.name`` as it was, so that a graph traced after the load, e.g. after ``hybridize()``
again, names inputs that no longer exist), restores the saved children keys, installs saved graphs
(the block becomes hybridized and runs without re-tracing ``hybrid_forward``), then loads the
parameters. Behaviour and file layout follow ``mxnet.gluon.Block.save``/``load`` in MXNet 1.9.1
(docs/MXNET_SPEC.md section 1.1); unlike MXNet, malformed or mismatching files raise
:class:`~minigluon.base.MXNetFormatError` naming the file and the entry, and nothing is changed
unless the whole load succeeds.
"""
import json
import os
from collections import OrderedDict

from minigluon import serialization
from minigluon.base import MXNetError, MXNetFormatError, read_file


def _is_hybrid(block):
    from minigluon.block.hybrid import HybridBlock
    return isinstance(block, HybridBlock)


def _entry_key(block, index):
    return type(block).__name__.lower() + str(index)


# ---------------------------------------------------------------------------------------------------
# Saving


def model_record(block):
    """The nested dict that ``save`` writes to ``<prefix>-model.json`` (key order as MXNet's)."""
    model = {}
    counter = [0]

    def visit(blk, parent):
        entry = {'orig_name': blk.name}
        parent[_entry_key(blk, counter[0])] = entry
        if _is_hybrid(blk):
            if blk._cached_graph:
                data_vars, out = blk._cached_graph
                entry['in_format'] = blk._in_format
                entry['out_format'] = blk._out_format
                entry['inputs'] = [v.tojson() for v in data_vars]
                entry['symbol'] = out.tojson()
                entry['hybridized'] = True
            else:
                entry['hybridized'] = False
        children = {}
        entry['children'] = children
        for attr_name, child in blk._children.items():
            counter[0] += 1
            children[child.name] = attr_name
            visit(child, entry)

    visit(block, model)
    return model


def save(block, prefix):
    """Write ``<prefix>-model.json`` and ``<prefix>-model.params``; both payloads are built first and
    both files are written before either is replaced, so a failure leaves existing files as they were."""
    if not isinstance(prefix, (str, os.PathLike)):
        raise TypeError('save: prefix must be a str or path, got %s' % type(prefix).__name__)
    prefix = os.fspath(prefix)
    json_text = json.dumps(model_record(block)).encode('utf-8')
    from minigluon.block import _io
    params_blob = serialization.dumps(_io.structural_arrays(block))
    serialization.atomic_write_files({prefix + '-model.json': json_text,
                                      prefix + '-model.params': params_blob})


# ---------------------------------------------------------------------------------------------------
# Loading: read and check everything into a plan, apply it, load parameters, undo on failure


def _fail(fname, where, message):
    raise MXNetFormatError("load: '%s', entry %s: %s" % (fname, where, message))


def _check_format(fmt):
    """True when ``fmt`` is an argument-structure code: an int >= -1 or a (nested) list of them."""
    if isinstance(fmt, bool):
        return False
    if isinstance(fmt, int):
        return fmt >= -1
    return isinstance(fmt, list) and all(_check_format(f) for f in fmt)


def _parse_symbol(text, fname, where, what):
    from minigluon.symbol import load_json
    if not isinstance(text, str):
        _fail(fname, where, "'%s' must be a JSON string, got %s" % (what, type(text).__name__))
    try:
        return load_json(text)
    except MXNetError as err:
        _fail(fname, where, "'%s' is not a valid symbol: %s" % (what, err))


def _read_graph(entry, fname, where):
    """``(data_vars, out, in_format, out_format)`` of a hybridized entry, checked."""
    for key in ('in_format', 'out_format', 'inputs', 'symbol'):
        if key not in entry:
            _fail(fname, where, "hybridized entry lacks '%s'" % key)
    for key in ('in_format', 'out_format'):
        if not _check_format(entry[key]):
            _fail(fname, where, "'%s' must be an int >= -1 or a nested list of them, got %r"
                  % (key, entry[key]))
    if not isinstance(entry['inputs'], list):
        _fail(fname, where, "'inputs' must be a list of symbol JSON strings")
    data_vars = [_parse_symbol(text, fname, where, 'inputs[%d]' % i)
                 for i, text in enumerate(entry['inputs'])]
    for i, v in enumerate(data_vars):
        if len(v.list_outputs()) != 1 or v.list_inputs() != [v.name]:
            _fail(fname, where, "'inputs[%d]' must be a single variable" % i)
    out = _parse_symbol(entry['symbol'], fname, where, 'symbol')
    return data_vars, out, entry['in_format'], entry['out_format']


def _plan(block, record, fname):
    """Walk the block tree against the saved record; return ``(plans, param_names)``.

    Each plan is a dict: ``block``, ``name`` (saved name), ``params`` (the re-keyed ParameterDict
    content), ``children`` (the re-keyed children), ``graph`` (None or the parsed cached graph).
    ``param_names`` lists ``(Parameter, new name)`` for each Parameter whose own name is one of
    the re-keyed keys (the first such key in pre-order wins for a shared Parameter).
    """
    plans = []
    counter = [0]
    param_names = {}

    def visit(blk, parent, parent_where):
        key = _entry_key(blk, counter[0])
        where = key if parent_where is None else parent_where + '/' + key
        entry = parent.get(key)
        if not isinstance(entry, dict):
            _fail(fname, where, 'not found (or not an object): the block tree differs from the saved '
                  'one (blocks are matched by class name and pre-order position); found keys %s'
                  % sorted(k for k, v in parent.items() if isinstance(v, dict) and k != 'children'))
        name = entry.get('orig_name')
        if not isinstance(name, str):
            _fail(fname, where, "'orig_name' must be a string, got %r" % (name,))
        saved_children = entry.get('children')
        if not isinstance(saved_children, dict) or \
                not all(isinstance(v, str) for v in saved_children.values()):
            _fail(fname, where, "'children' must be an object of child name -> attribute name")
        graph = None
        if _is_hybrid(blk):
            hybridized = entry.get('hybridized')
            if not isinstance(hybridized, bool):
                _fail(fname, where, "'hybridized' must be true or false, got %r" % (hybridized,))
            if hybridized:
                graph = _read_graph(entry, fname, where)
        old_prefix = blk.params.prefix
        renamed = OrderedDict()
        for pname, param in blk.params._params.items():
            # MXNet: <saved name>_<key minus the dict's prefix>. With an empty dict prefix (a
            # SymbolBlock, whose keys are the graph's names) that breaks the saved graph, so such
            # keys stay as they are (MXNet fails to load these blocks).
            new_key = name + '_' + pname[len(old_prefix):] if old_prefix else pname
            if new_key in renamed:
                _fail(fname, where, "parameters '%s' and another one would both be named '%s'"
                      % (pname, new_key))
            renamed[new_key] = param
            if pname == param.name and id(param) not in param_names:
                param_names[id(param)] = (param, new_key)
        plan = {'block': blk, 'name': name, 'params': renamed, 'children': None, 'graph': graph,
                'where': where}
        plans.append(plan)
        child_names = []
        for child in blk._children.values():
            counter[0] += 1
            child_names.append((child, visit(child, entry, where)['name']))
        children = OrderedDict()
        repeated = {id(c) for c, _ in child_names if sum(c is d for d, _ in child_names) > 1}
        for (child, child_name), current in zip(child_names, blk._children.keys()):
            attr_name = saved_children.get(child_name)
            if attr_name is None:
                _fail(fname, where, "child '%s' is not listed in 'children' %s"
                      % (child_name, sorted(saved_children)))
            if id(child) in repeated:
                # One block registered under several attributes: the record keeps only one of
                # them (MXNet then loses the others); keep the current attribute names instead.
                attr_name = current
            if attr_name in children:
                _fail(fname, where, "two children map to the attribute name '%s'" % attr_name)
            children[attr_name] = child
        plan['children'] = children
        return plan

    visit(block, record, None)
    _check_graph_inputs(plans, fname)
    return plans, list(param_names.values())


def _check_graph_inputs(plans, fname):
    """Every input of a restored graph must be a data variable or a (re-keyed) parameter below it."""
    by_block = {id(p['block']): p for p in plans}

    def names_below(plan):
        names = set(plan['params'])
        for child in plan['children'].values():
            names |= names_below(by_block[id(child)])
        return names

    for plan in plans:
        if plan['graph'] is None:
            continue
        data_vars, out = plan['graph'][:2]
        known = names_below(plan) | {v.name for v in data_vars}
        unknown = [n for n in out.list_inputs() if n not in known]
        if unknown:
            _fail(fname, plan['where'], 'the saved graph needs inputs %s that are neither data '
                  'variables nor parameters of this block' % unknown)


def _snapshot(plans, param_names):
    from minigluon.block.block import _parents_of      # (block.py imports this module)
    snaps = [(param, {'name': param.name, '_var': param._var}) for param, _ in param_names]
    for plan in plans:
        blk = plan['block']
        snap = {'_name': blk._name, 'params': OrderedDict(blk.params._params),
                'children': OrderedDict(blk._children)}
        if _is_hybrid(blk):
            for attr in ('_in_format', '_out_format', '_active'):
                snap[attr] = getattr(blk, attr)
        snaps.append((blk, snap))
    # the cached graphs _clear_cached_op drops: of each block and of the hybridized blocks it is
    # nested in (the block loaded may be a child of a hybridized network), other argument
    # structures' graphs included
    pending, seen = [plan['block'] for plan in plans], set()
    while pending:
        blk = pending.pop()
        if id(blk) in seen:
            continue
        seen.add(id(blk))
        if _is_hybrid(blk):
            keys = list(blk._cache_cleared()) + ['_other_graphs']
            snaps.append((blk, {'caches': {k: blk.__dict__[k] for k in keys if k in blk.__dict__}}))
        pending.extend(_parents_of(blk))
    return snaps


def _restore(snaps):
    for blk, snap in snaps:
        if 'params' not in snap and 'caches' not in snap:       # a Parameter's name
            for attr, value in snap.items():
                setattr(blk, attr, value)
            continue
        if 'caches' in snap:
            blk.__dict__.pop('_other_graphs', None)
            blk.__dict__.update(snap['caches'])
            continue
        blk._params._params.clear()
        blk._params._params.update(snap.pop('params'))
        blk._children.clear()
        blk._children.update(snap.pop('children'))
        for attr, value in snap.items():
            object.__setattr__(blk, attr, value)


def _apply(plans, param_names):
    for param, new_name in param_names:
        param.name = new_name
        param._var = None                         # re-traced graphs use the new name
    for plan in plans:
        blk = plan['block']
        blk._name = plan['name']
        blk._params._params.clear()
        blk._params._params.update(plan['params'])
        blk._children.clear()
        blk._children.update(plan['children'])
        if plan['graph'] is not None:
            data_vars, out, in_format, out_format = plan['graph']
            blk._clear_cached_op()
            blk._cached_graph = (data_vars, out)
            blk._in_format = in_format
            blk._out_format = out_format
            blk._active = True


def load(block, prefix, ctx=None):
    """Apply ``<prefix>-model.json`` to ``block`` and load ``<prefix>-model.params``, all or nothing."""
    from minigluon.block import _io
    if not isinstance(prefix, (str, os.PathLike)):
        raise TypeError('load: prefix must be a str or path, got %s' % type(prefix).__name__)
    prefix = os.fspath(prefix)
    fname = prefix + '-model.json'
    raw = read_file(fname)
    try:
        record = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as err:
        raise MXNetFormatError("load: '%s' is not a JSON file: %s" % (fname, err)) from None
    if not isinstance(record, dict):
        raise MXNetFormatError("load: '%s' must hold a JSON object, got %s"
                               % (fname, type(record).__name__))
    plans, param_names = _plan(block, record, fname)
    snaps = _snapshot(plans, param_names)
    try:
        _apply(plans, param_names)
        _io.load_parameters(block, prefix + '-model.params', ctx)
    except BaseException:
        _restore(snaps)
        raise
