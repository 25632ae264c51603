"""Fuzz the file loaders with mutated valid files and count the outcomes.

Usage: ``python3 bench/fuzz_loaders.py [--cases 10000] [--seed 0]``

Seeds are the golden files under ``tests/fixtures`` (MXNet-written ``.params`` and
``-symbol.json``) plus files minigluon writes itself. Each case applies 1-4 mutations (truncation,
bit flip, inserted or deleted span, an extreme integer written over 8 bytes or spliced into the
text, a JSON token) and loads the result with ``nd.load``/``serialization.loads`` or
``sym.load_json`` (then ``tojson``, ``list_arguments`` and shape inference); one case in ten
mutates one file of an exported (symbol, params) pair and runs ``SymbolBlock.imports``. An outcome is one of

* ``clean error``: an MXNetError (``MXNetFormatError`` for malformed files);
* ``loaded``: the loader returned a well-formed result;
* anything else (another exception type, or a result of the wrong kind): a bug, printed in full.

The slowest case is reported too: no input may make a loader hang. Each case runs under
:func:`memory_cap` (2 GiB more address space than the process uses, on Linux), so no case can take
the machine's memory: a loader that tries is reported as a bug (its MemoryError).
"""
import argparse
import collections
import contextlib
import json
import os
import random
import resource
import shutil
import struct
import sys
import time
import tempfile
import traceback
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from minigluon import nd, serialization  # noqa: E402
from minigluon import symbol as sym  # noqa: E402
from minigluon.base import MXNetError  # noqa: E402

FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')
EXTREME_INTS = [-1, 0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 62, 2 ** 63 - 1, -(2 ** 63)]
JSON_TOKENS = [b'"', b'[', b']', b'{', b'}', b',', b':', b'null', b'true', b'-1', b'1e309', b'NaN',
               b'[0, 0, 0]', b'[99, 0, 0]', b'[0, 7, 0]', b'"op": "null", ', b'"op": "Reshape", ',
               b'"__shape__": "(99999999999, 99999999999)", ', b'"inputs": [[0, 0]], ',
               b'"(' + b'-' * 2000 + b'1)"', b'"\\ud800"', b'\xff\xfe']


PAIRS = [('symbol', 'dense-symbol.json', 'dense-0007.params'),
         ('symbol', 'convbn-symbol.json', 'convbn-0000.params')]


def pair_files():
    """(symbol bytes, params bytes) of exported models, for SymbolBlock.imports."""
    out = []
    for folder, sym_name, params_name in PAIRS:
        base = os.path.join(FIXTURES, folder)
        out.append((open(os.path.join(base, sym_name), 'rb').read(),
                    open(os.path.join(base, params_name), 'rb').read()))
    return out


def seed_files():
    """(kind, bytes) of every small golden file: kind is 'params' or 'json'."""
    seeds = []
    for folder, _, files in os.walk(FIXTURES):
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.getsize(path) > 16384:
                continue
            if name.endswith('.params'):
                seeds.append(('params', open(path, 'rb').read()))
            elif name.endswith('-symbol.json') or (folder.endswith('symbol') and name.endswith('.json')
                                                    and 'expected' not in name and 'lists' not in name
                                                    and 'shapes' not in name):
                blob = open(path, 'rb').read()
                if b'"op": "Custom"' not in blob:     # needs its Python operators registered
                    seeds.append(('json', blob))
    return seeds


ATTR_VALUES = ['-1', '0', '99999999999', '(99999999, 99999999)', '(0, 0)', '()', '(-3, 2)', 'None',
               'True', 'nan', 'inf', '1e309', '[1, 2]', 'x', '(' * 300, '9' * 5000, '', '-0']
ATTR_KEYS = ['__shape__', '__dtype__', '__init__', '__storage_type__', 'num_hidden', 'kernel',
             'axis', 'num_outputs', 'num_args', 'shape', 'act_type', 'no_bias']


def mutate_graph(rng, blob):
    """Structure-aware mutation of a -symbol.json: valid JSON with a wrong graph inside."""
    from minigluon.ops import OPS
    try:
        graph = json.loads(blob)
        nodes = graph['nodes']
    except (ValueError, KeyError, TypeError):
        return blob
    if not isinstance(nodes, list) or not nodes:
        return blob
    for _ in range(1 + rng.randrange(3)):
        op = rng.choice(['op', 'attr', 'input', 'head', 'name', 'drop', 'swap', 'cycle'])
        node = rng.choice(nodes)
        if not isinstance(node, dict):
            continue
        if op == 'op':
            node['op'] = rng.choice(sorted(OPS))
        elif op == 'attr':
            node.setdefault('attrs', {})[rng.choice(ATTR_KEYS)] = rng.choice(ATTR_VALUES)
        elif op == 'input' and node.get('inputs'):
            entry = rng.choice(node['inputs'])
            entry[rng.randrange(len(entry))] = rng.choice(EXTREME_INTS + [len(nodes), 10 ** 30])
        elif op == 'head':
            graph['heads'] = [[rng.randrange(len(nodes) + 2) - 1, rng.choice([0, 1, 2, -1]), 0]]
        elif op == 'name':
            node['name'] = rng.choice(nodes)['name'] if rng.randrange(2) else '\u00e9\ud83d\ude00'
        elif op == 'drop' and len(nodes) > 1:
            del nodes[rng.randrange(len(nodes))]
        elif op == 'swap' and len(nodes) > 1:
            i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
            nodes[i], nodes[j] = nodes[j], nodes[i]
        elif op == 'cycle':   # an input pointing at itself or a later node
            i = rng.randrange(len(nodes))
            if isinstance(nodes[i], dict):
                nodes[i]['inputs'] = [[rng.randrange(i, len(nodes)), 0, 0]]
    return json.dumps(graph).encode('utf-8')


def mutate(rng, blob, kind):
    """Apply 1-4 random mutations; ``rng`` is anything with randrange/choice (random.Random)."""
    if kind == 'json' and rng.randrange(2):
        return mutate_graph(rng, blob)
    blob = bytearray(blob)
    for _ in range(1 + rng.randrange(4)):
        op = rng.choice(['flip', 'truncate', 'insert', 'delete', 'int', 'token', 'duplicate'])
        pos = rng.randrange(len(blob) + 1)
        if op == 'flip' and blob:
            blob[min(pos, len(blob) - 1)] ^= 1 << rng.randrange(8)
        elif op == 'truncate':
            del blob[pos:]
        elif op == 'insert':
            blob[pos:pos] = bytes(rng.randrange(256) for _ in range(1 + rng.randrange(16)))
        elif op == 'delete':
            del blob[pos:pos + 1 + rng.randrange(16)]
        elif op == 'int':
            value = rng.choice(EXTREME_INTS)
            if kind == 'params':
                blob[pos:pos + 8] = struct.pack('<q', value)
            else:
                blob[pos:pos] = str(value).encode()
        elif op == 'token' and kind == 'json':
            blob[pos:pos] = rng.choice(JSON_TOKENS)
        elif op == 'duplicate' and blob:
            start = rng.randrange(len(blob))
            blob[pos:pos] = blob[start:start + 1 + rng.randrange(64)]
    return bytes(blob)


# How much more address space a case may take (Linux). Shape inference on a mutated graph runs
# operators on zeros of the declared sizes (README, "what loading does not protect against"): a
# variable declared (65536, 65536) makes 16 GiB arrays, which Linux grants lazily and which fill
# once written, so without a cap one case can take all the machine's memory. Under the cap such
# an allocation raises MemoryError at once: shape inference reports it as an MXNetError (a clean
# error), and anywhere else in a loader it is a bug the fuzzer reports.
MEMORY_MARGIN = 2 << 30


@contextlib.contextmanager
def memory_cap(margin=MEMORY_MARGIN):
    """Limit the process's address space to what it uses now plus ``margin`` bytes while the
    block runs (``RLIMIT_AS``, restored after); no limit where ``/proc/self/statm`` is missing."""
    try:
        with open('/proc/self/statm') as f:
            used = int(f.read().split()[0]) * os.sysconf('SC_PAGE_SIZE')
    except OSError:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + margin
    for limit in (soft, hard):
        if limit != resource.RLIM_INFINITY:
            cap = min(cap, limit)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _exercise_symbol(s):
    s.tojson()
    args = s.list_arguments()
    s.list_auxiliary_states()
    s.list_outputs()
    s.get_internals()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            s.infer_shape_partial()
            s.infer_type()
        except (MXNetError, ValueError, TypeError) as err:   # a clean error must name something
            if not str(err):
                raise AssertionError('an error without a message') from err
    return args


def load_one(kind, blob):
    """Load ``blob`` under :func:`memory_cap`; return 'loaded' or 'clean error'; let anything
    else propagate."""
    try:
        with memory_cap():
            if kind == 'params':
                out = serialization.loads(blob, source='fuzz.params')
                if not isinstance(out, (list, dict)):
                    raise AssertionError('loads returned %s' % type(out).__name__)
                if isinstance(out, dict):
                    assert all(isinstance(k, str) for k in out)
            else:
                s = sym.load_json(blob)
                _exercise_symbol(s)
        return 'loaded'
    except MXNetError as err:
        if not str(err):
            raise AssertionError('an MXNetError without a message') from err
        return 'clean error'


def import_pair(sym_blob, params_blob, folder):
    """``SymbolBlock.imports`` on the two blobs written to ``folder``, under :func:`memory_cap`:
    'loaded' or 'clean error'."""
    from minigluon import gluon
    sym_file, params_file = os.path.join(folder, 'f-symbol.json'), os.path.join(folder, 'f.params')
    with open(sym_file, 'wb') as f:
        f.write(sym_blob)
    with open(params_file, 'wb') as f:
        f.write(params_blob)
    try:
        with memory_cap(), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            block = gluon.SymbolBlock.imports(sym_file, ['data'], params_file,
                                              allow_missing=True, ignore_extra=True)
            for p in block.collect_params().values():
                if p._data is not None:
                    p.data()
        return 'loaded'
    except MXNetError as err:
        if not str(err):
            raise AssertionError('an MXNetError without a message') from err
        return 'clean error'
    except ValueError as err:   # ParameterMismatchError: a shape/dtype clash between the two files
        if type(err).__name__ != 'ParameterMismatchError':
            raise
        return 'clean error'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = seed_files()
    counts = collections.Counter()
    by_kind = collections.Counter()
    bugs = []
    slowest = (0.0, None)
    t_start = time.time()
    pairs = pair_files()
    tmp = tempfile.mkdtemp(prefix='fuzz_loaders_')
    for case in range(args.cases):
        if case % 10 == 9:      # one case in ten: a (symbol, params) pair through SymbolBlock.imports
            kind = 'imports'
            sym_blob, params_blob = rng.choice(pairs)
            if rng.randrange(2):
                sym_blob = mutate(rng, sym_blob, 'json')
            else:
                params_blob = mutate(rng, params_blob, 'params')
            mutated = sym_blob + params_blob
        else:
            kind, blob = rng.choice(seeds)
            mutated = mutate(rng, blob, kind)
        t0 = time.perf_counter()
        try:
            if kind == 'imports':
                outcome = import_pair(sym_blob, params_blob, tmp)
            else:
                outcome = load_one(kind, mutated)
        except Exception:  # noqa: BLE001 - this is what we are looking for
            outcome = 'anything else'
            bugs.append((case, kind, mutated, traceback.format_exc()))
        elapsed = time.perf_counter() - t0
        if elapsed > slowest[0]:
            slowest = (elapsed, (case, kind, len(mutated)))
        counts[outcome] += 1
        by_kind[(kind, outcome)] += 1
    total = time.time() - t_start
    print('fuzzed %d cases from %d seed files in %.1f s (seed %d)' % (args.cases, len(seeds), total,
                                                                      args.seed))
    for outcome in ('clean error', 'loaded', 'anything else'):
        print('  %-14s %6d   (params %d, json %d, imports %d)'
              % (outcome, counts[outcome], by_kind[('params', outcome)], by_kind[('json', outcome)],
                 by_kind[('imports', outcome)]))
    case, kind, size = slowest[1]
    print('  slowest case: #%d (%s, %d bytes) took %.1f ms' % (case, kind, size, slowest[0] * 1000))
    for case, kind, blob, tb in bugs[:5]:
        print('\n--- case %d (%s): %r' % (case, kind, blob[:400]))
        print(tb)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bugs else 0


if __name__ == '__main__':
    sys.exit(main())
