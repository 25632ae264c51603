"""Regression fixtures for what ``tools/fuzz_gluon_data.py`` found in ``gluon.data`` and
``mx.image`` against MXNet 1.9.1; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_gluon_data_fuzz_fixtures.py

Each case is a snippet run with ``mx``, ``nd``, ``np``, ``gdata`` (``mx.gluon.data``), ``T``
(``gdata.vision.transforms``), ``IntervalSampler`` and the input ``x`` bound, that sets ``out`` to
a flat list of arrays and numbers. ``cases.json`` holds per key the snippet and either MXNet's
error (``error``: the class name and message; ``classes``: the class and its bases) or
``n_out``; ``values.npz`` holds ``<key>_x`` (the input) and ``<key>_out<i>`` (``np.asarray`` of
each item of ``out``, NDArrays through ``asnumpy``). ``tests/data/test_gluon_data_fuzz_regressions.py``
runs the same snippets in minigluon.

Output: ``tests/fixtures/gluon_data_fuzz/``.
"""
import json
import os

import numpy as np

import mxnet as mx
import mxnet.gluon.contrib.data  # noqa: F401 -- IntervalSampler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'gluon_data_fuzz')

RNG = np.random.RandomState(7)
IMG = RNG.randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
RGBA = RNG.randint(0, 256, size=(3, 2, 4)).astype(np.uint8)
SEVEN = 'ds = gdata.SimpleDataset(list(range(7)))\n'

CASES = {
    # shard / ArrayDataset / sample / take
    'shard_index_past': (SEVEN + 'out = [len(ds.shard(2, 2))]', None),
    'shard_index_negative': (SEVEN + 'out = [len(ds.shard(2, -1))]', None),
    'shard_zero_shards': (SEVEN + 'out = [len(ds.shard(0, 0))]', None),
    'shard_ok': (SEVEN + 'out = [list(ds.shard(3, i)) for i in range(3)]', None),
    'array_dataset_lengths': ('out = [len(gdata.ArrayDataset(np.zeros(3), [1, 2]))]', None),
    'sample_list': (SEVEN + 'out = [len(ds.sample([0, 1]))]', None),
    'sample_sampler': (SEVEN + 'out = list(ds.sample(gdata.SequentialSampler(3, 2)))', None),
    'take_negative': (SEVEN + 'out = [len(ds.take(-1))]', None),
    'take_past_end': (SEVEN + 'out = [list(ds.take(20)), list(ds.take(None)), list(ds.take(0))]', None),
    # DataLoader
    'loader_timeout_zero': (SEVEN + 'out = [len(gdata.DataLoader(ds, batch_size=2, timeout=0))]', None),
    'loader_rollover_epochs': (SEVEN + "loader = gdata.DataLoader(ds, batch_size=3, last_batch='rollover')\n"
                               'out = []\nfor _ in range(3):\n    out.append(len(loader))\n'
                               '    out.extend(loader)', None),
    # a centre crop whose window is 0 pixels high (MXNet cannot make a 0-size array to resize)
    'center_crop_zero_window': ('out = [T.CenterCrop((3, 1), interpolation=0)(nd.array(x, dtype=x.dtype))]',
                                IMG[:2, :1]),
    # MXNet faults kept out of minigluon
    'crop_resize_default_interp': ('out = [T.CropResize(1, 0, 3, 2, size=(4, 5))(nd.array(x, dtype=x.dtype))]',
                                   IMG),
    'crop_resize_interp1': ('out = [T.CropResize(1, 0, 3, 2, size=(4, 5), interpolation=1)'
                            '(nd.array(x, dtype=x.dtype))]', IMG),
    'border_value_rgba': ('out = [mx.image.copyMakeBorder(nd.array(x, dtype=x.dtype), 1, 0, 2, 1, '
                          'type=0, value=7)]', RGBA),
    'interval_no_rollover': ('s = IntervalSampler(11, 3, rollover=False)\nout = [list(s), len(s)]', None),
}


def run(code, x):
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'gdata': mx.gluon.data,
           'T': mx.gluon.data.vision.transforms,
           'IntervalSampler': mx.gluon.contrib.data.IntervalSampler, 'x': x}
    exec(code, env)
    return [o.asnumpy() if isinstance(o, mx.nd.NDArray) else np.asarray(o) for o in env['out']]


def main():
    os.makedirs(OUT, exist_ok=True)
    meta, values = {'mxnet_version': mx.__version__, 'cases': {}}, {}
    for key, (code, x) in CASES.items():
        entry = {'code': code}
        if x is not None:
            values[key + '_x'] = x
        try:
            outs = run(code, x)
        except Exception as e:  # noqa: BLE001 -- MXNet's error is the recorded result
            lines = str(e).strip().splitlines()
            entry['error'] = '%s: %s' % (type(e).__name__, lines[-1][:200] if lines else '')
            entry['classes'] = [k.__name__ for k in type(e).__mro__]
        else:
            entry['n_out'] = len(outs)
            values.update({'%s_out%d' % (key, i): o for i, o in enumerate(outs)})
        meta['cases'][key] = entry
        print(key, entry.get('error', 'ok'))
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    np.savez(os.path.join(OUT, 'values.npz'), **values)


if __name__ == '__main__':
    main()
