"""Differential fuzzer of the vision operators of ``contrib`` and of the detection data path:
seeded random configurations run under MXNet 1.9.1 and under minigluon, compared output by
output and input gradient by input gradient; failures compared by whether both raise.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_vision_contrib.py /tmp/vision-fuzz --seed 1 [--n 20] [--groups deform,corr]
                                         [--timeout 300]

Operator groups (``--groups``): ``deform`` (``contrib.DeformableConvolution``: kernels, strides,
dilations, pads, groups, deformable groups, offsets small, large or far outside the image, zero
offsets, no_bias), ``mdeform`` (``contrib.ModulatedDeformableConvolution``, outputs only: MXNet
1.9.1 has no CPU backward), ``corr`` (``Correlation``, even kernels and displacements that do not
fit included), ``psroi`` (``contrib.PSROIPooling``), ``dpsroi`` (``contrib.DeformablePSROIPooling``,
``no_trans``, classes, ``part_size``, ``sample_per_part``), ``proposal`` (``contrib.Proposal`` and
``MultiProposal``: anchor scales and ratios, ``feature_stride``, ``threshold``, ``rpn_*`` sizes,
``output_score``, ``iou_loss``), ``rroi`` (``contrib.RROIAlign``, outputs only: no backward in
MXNet) and ``bipartite`` (``contrib.bipartite_matching``, tied scores, thresholds, ``is_ascend``);
``cnnblock``: the ``gluon.contrib.cnn`` blocks with parameters set from a seed, eager, hybridized
and exported (``run_block``; also the parameters' gradients, ``pgrad:<name>``).
Regions are drawn degenerate (``x2 < x1``, a point), partly or wholly outside the map; dtypes
float16/32/64. Each configuration is run in the modes ``eager``, ``hyb`` (a hybridized
``HybridLambda``) and, for one in three, ``export`` (that block exported and loaded back as a
``SymbolBlock``): ``run_op``, which the regression tests and the fixture generator call too.
Results: ``out<j>`` and ``grad<i>`` (of ``sum(out_j * head_j)``, heads drawn from the
configuration) or ``error`` plus ``mro``.

Group ``detiter``: ``mx.image.ImageDetIter`` (from an image list or a ``.rec``) and
``mx.io.ImageDetRecordIter`` on small random images (grayscale ones, ones smaller than
``data_shape``), labels with extra header fields, no objects, boxes with ``x2 < x1``, a last
partial batch, seeded augmentation: ``run_detiter``; results the batches' data, label and pad.

Known differences, counted under ``known:<tag>`` and not printed (each is in the operator's
or class's docstring): ``topk`` (bipartite ``topk=k``: MXNet makes k + 1 matches),
``empty-matrix`` (bipartite on 0 rows or columns: MXNet crashes or refuses the shape),
``tie-order`` (Proposal's rows of equal scores in another order: MXNet's ``std::sort`` leaves
their order unspecified), ``float16-deform`` (MXNet has no float16 GEMM on CPU),
``mdeform-filters`` (MXNet's modulated version needs num_filter to be a multiple of
num_deformable_group), ``rroi-hybridized`` (MXNet cannot hybridize RROIAlign),
``round-wrap`` (ImageDetRecordIter's last round_batch batch wraps as often as needed; MXNet
fails when it needs more than the file), ``proposal-float64`` (MXNet's Proposal takes float32 alone; minigluon computes in float32 and
answers in the input's dtype), ``pad-wrap``
(ImageIter's last 'pad' batch wraps over the data as often as needed; MXNet wraps once, and the
extra augmentation draws move the later epochs' random crops).

First runs (seeds 1 to 8, about 2,000 cases): the differences found were DeformablePSROIPooling's
and RROIAlign's float64 results (~1e-7: MXNet scales by the float32 ``spatial_scale``) and
``spatial_scale`` above 1 / ``trans_std`` outside ``[0, 1]`` (MXNet's parameter bounds), both
fixed, and fixed likewise in the older ROIAlign / ROIPooling (where the float32 scale can move a
sampling grid's ``ceil``); every other output, gradient and error agrees or is a known
difference above.

The batching, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. A difference where MXNet is right is fixed in
minigluon and pinned by ``tools/gen_vision_contrib_fuzz_fixtures.py``
(``tests/fixtures/vision_contrib_fuzz/``, ``tests/ops/test_vision_contrib_fuzz_regressions.py``).
"""
import os
import shutil
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case, chance, pick, ri, rf  # noqa: E402

# sums of many bilinear reads: a little looser than element-wise operators
TOL = {'float16': (2e-2, 2e-2), 'float32': (1e-3, 1e-4), 'float64': (1e-7, 1e-9)}


def fdtype(f16=True):
    return pick('float64', 'float16' if f16 else 'float32', 'float32', 'float32', 'float32')


def U(lo, hi, shape, dtype='float32'):
    return R.uniform(lo, hi, shape).astype(dtype)


def add(group, op, kw, inputs, wrt=(), export=None):
    """Record one configuration as an eager, a hybridized and (one in three) an exported case."""
    cfg = _fuzz.CASES[-1]['cfg'] + 1 if _fuzz.CASES else 0
    export = chance(1 / 3.) if export is None else export
    for mode in ('eager', 'hyb') + (('export',) if export else ()):
        add_case(group + ('' if mode == 'eager' else '.' + mode),
                 'nd.%s(%s, %s)' % (op, ', '.join('x%d' % i for i in range(len(inputs))),
                                    _fuzz.kwargs_code(kw)),
                 inputs, cfg=cfg, op=op, kw=kw, mode=mode, wrt=list(wrt))


# -- operator families -------------------------------------------------------------------------

def g_deform(n, modulated=False):
    op = 'contrib.ModulatedDeformableConvolution' if modulated else 'contrib.DeformableConvolution'
    for _ in range(n):
        dt = fdtype()
        g, dg = pick(1, 1, 2), pick(1, 1, 2, 3)
        cin = g * dg * ri(1, 2)
        f = g * ri(1, 3)
        k = (ri(1, 3), ri(1, 3))
        s = (ri(1, 2), ri(1, 2)) if chance(0.4) else (1, 1)
        d = (ri(1, 2), ri(1, 2)) if chance(0.3) else (1, 1)
        p = (ri(0, 2), ri(0, 2)) if chance(0.6) else (0, 0)
        size = [ri(2, 7), ri(2, 7)]
        for i in range(2):
            while size[i] + 2 * p[i] < d[i] * (k[i] - 1) + 1:
                size[i] += 1
        nb = ri(1, 2)
        ho, wo = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
        kw = dict(kernel=k, num_filter=f, num_group=g, num_deformable_group=dg)
        if s != (1, 1):
            kw['stride'] = s
        if d != (1, 1):
            kw['dilate'] = d
        if p != (0, 0):
            kw['pad'] = p
        no_bias = chance(0.3)
        if no_bias:
            kw['no_bias'] = True
        kind = pick('small', 'small', 'large', 'far', 'zero', 'half')
        oshape = (nb, 2 * dg * k[0] * k[1], ho, wo)
        if kind == 'small':
            off = U(-1.5, 1.5, oshape, dt)
        elif kind == 'large':
            off = U(-6, 6, oshape, dt)
        elif kind == 'far':
            off = U(-60, 60, oshape, dt) + pick(-100, 0, 100)
        elif kind == 'zero':
            off = np.zeros(oshape, dt)
        else:       # half-pixel steps: points on the border lines and half a pixel outside
            off = (R.randint(-6, 7, oshape) / 2.).astype(dt)
        ins = [U(-1, 1, (nb, cin) + tuple(size), dt), off]
        if modulated:
            ins.append(U(0, 1, (nb, dg * k[0] * k[1], ho, wo), dt))
        ins.append(U(-1, 1, (f, cin // g) + k, dt))
        if not no_bias:
            ins.append(U(-1, 1, (f,), dt))
        wrt = () if modulated else range(len(ins))
        # a point exactly on a pixel line has a one-sided derivative: no offset gradient there
        if kind in ('zero', 'half'):
            wrt = [i for i in wrt if i != 1]
        add('mdeform' if modulated else 'deform', op, kw, ins, wrt)


def g_mdeform(n):
    g_deform(n, modulated=True)


def g_corr(n):
    for _ in range(n):
        dt = fdtype()
        kw = dict(kernel_size=pick(1, 1, 3, 3, 5) if chance(0.95) else 2,
                  max_displacement=ri(0, 4), stride1=ri(1, 3), stride2=ri(1, 3),
                  pad_size=ri(0, 4), is_multiply=chance(0.6))
        shape = (ri(1, 2), ri(1, 3), ri(3, 10), ri(3, 10))
        a, b = U(-1, 1, shape, dt), U(-1, 1, shape, dt)
        add('corr', 'Correlation', kw, [a, b], (0, 1))


def rois5(r_n, n_img, h, w, scale, bad_batch=0.0):
    """``(R, 5)`` regions (batch index, x1, y1, x2, y2) in image coordinates: inside, across the
    border, degenerate (a point, x2 < x1) or wholly outside."""
    out = []
    ih, iw = h / scale, w / scale
    for _ in range(r_n):
        kind = pick('in', 'in', 'in', 'across', 'point', 'flipped', 'outside')
        x1, y1 = R.uniform(0, iw), R.uniform(0, ih)
        x2, y2 = x1 + R.uniform(0, iw / 2), y1 + R.uniform(0, ih / 2)
        if kind == 'across':
            x1, y1, x2, y2 = x1 - iw / 2, y1 - ih / 3, x2 + iw / 2, y2 + ih / 3
        elif kind == 'point':
            x2, y2 = x1, y1
        elif kind == 'flipped':
            x1, x2 = x2, x1
        elif kind == 'outside':
            x1, x2 = x1 + 2 * iw, x2 + 2 * iw
        b = ri(0, n_img - 1)
        if chance(bad_batch):
            b = -1
        out.append([b, x1, y1, x2, y2])
    return np.round(np.array(out), 1)


def g_psroi(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float64', 'float16')
        od, p = ri(1, 3), ri(1, 4)
        gs = pick(0, 1, 2, 3, p)
        gg = gs or p
        c = od * gg * gg + (ri(1, 2) if chance(0.15) else 0)
        nb, h, w = ri(1, 2), ri(2, 8), ri(2, 8)
        scale = pick(1.0, 0.5, 0.25, 0.0625, rf(0.1, 1.5))
        kw = dict(spatial_scale=scale, output_dim=od, pooled_size=p)
        if gs:
            kw['group_size'] = gs
        rois = rois5(ri(1, 5), nb, h, w, scale).astype(dt)
        add('psroi', 'contrib.PSROIPooling', kw, [U(-1, 1, (nb, c, h, w), dt), rois], (0, 1))


def g_dpsroi(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float64', 'float16')
        p = ri(1, 4)
        gs = pick(1, 2, 3, p)
        classes = pick(1, 1, 2)
        od = classes * ri(1, 2)
        c = od * gs * gs
        nb, h, w = ri(1, 2), ri(2, 8), ri(2, 8)
        scale = pick(1.0, 0.5, 0.25, rf(0.1, 1.5))
        parts = pick(0, p, ri(1, 4))
        no_trans = chance(0.2)
        kw = dict(spatial_scale=scale, output_dim=od, group_size=gs, pooled_size=p,
                  sample_per_part=ri(1, 4), trans_std=pick(0.0, 0.1, 0.5, rf(0, 2)))
        if parts:
            kw['part_size'] = parts
        if no_trans:
            kw['no_trans'] = True
        r_n = ri(1, 4)
        ins = [U(-1, 1, (nb, c, h, w), dt), rois5(r_n, nb, h, w, scale).astype(dt)]
        if not no_trans:
            ins.append(U(-1.5, 1.5, (r_n, 2 * classes, parts or p, parts or p), dt))
        add('dpsroi', 'contrib.DeformablePSROIPooling', kw, ins,
            (0, 2) if not no_trans else (0,))


def g_proposal(n):
    for _ in range(n):
        multi = chance(0.5)
        scales = sorted(set(pick(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, rf(0.5, 10, 2))
                            for _ in range(ri(1, 3))))
        ratios = sorted(set(pick(0.5, 1.0, 2.0, rf(0.3, 3, 2)) for _ in range(ri(1, 3))))
        a_n = len(scales) * len(ratios)
        fs = pick(4, 8, 16)
        nb = ri(1, 3) if multi else 1
        h, w = ri(1, 6), ri(1, 6)
        kw = dict(scales=tuple(scales), ratios=tuple(ratios), feature_stride=fs,
                  rpn_pre_nms_top_n=pick(6000, ri(1, 30), ri(1, 30), -1, 0),
                  rpn_post_nms_top_n=ri(1, 20), threshold=pick(rf(0.1, 0.95, 2), 0.0, 1.0),
                  rpn_min_size=pick(0, 1, 4, 16, 40), output_score=chance(0.5),
                  iou_loss=chance(0.2))
        probs = np.round(U(0, 1, (nb, 2 * a_n, h, w)), pick(1, 3, 6)).astype(np.float32)
        deltas = U(-0.6, 0.6, (nb, 4 * a_n, h, w)) * pick(1, 1, 4, 200)
        if kw['iou_loss']:
            deltas = deltas * fs
        info = []
        for _ in range(nb):
            ih = pick(h * fs, R.uniform(fs, h * fs), h * fs - 0.5, (h + 1) * fs + 0.5)
            iw = pick(w * fs, R.uniform(fs, w * fs), w * fs - 0.5, (w + ri(0, 1)) * fs)
            info.append([ih, iw, pick(1.0, 0.5, rf(0.3, 2.0))])
        info = np.array(info, np.float32)
        dt = pick('float32', 'float32', 'float32', 'float64')
        add('proposal', 'contrib.MultiProposal' if multi else 'contrib.Proposal', kw,
            [probs.astype(dt), deltas.astype(dt), info.astype(dt)], (0, 1))


def g_rroi(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float64', 'float16')
        nb, c, h, w = ri(1, 2), ri(1, 3), ri(2, 9), ri(2, 9)
        scale = pick(1.0, 0.5, 0.25, rf(0.2, 1.5))
        rows = []
        for _ in range(ri(1, 4)):
            kind = pick('in', 'in', 'tiny', 'outside', 'big')
            cx, cy = R.uniform(0, w / scale), R.uniform(0, h / scale)
            rw, rh = R.uniform(0.5, w / scale), R.uniform(0.5, h / scale)
            if kind == 'tiny':
                rw, rh = R.uniform(0, 1), R.uniform(0, 1)
            elif kind == 'outside':
                cx += 3 * w / scale
            elif kind == 'big':
                rw, rh = 3 * rw, 3 * rh
            ang = pick(0.0, 90.0, -45.0, rf(-180, 180, 1))
            rows.append([ri(0, nb - 1), cx, cy, rw, rh, ang])
        kw = dict(pooled_size=(ri(1, 3), ri(1, 3)), spatial_scale=scale,
                  sampling_ratio=pick(-1, 0, 1, 2, 3))
        add('rroi', 'contrib.RROIAlign', kw,
            [U(-1, 1, (nb, c, h, w), dt), np.round(np.array(rows), 2).astype(dt)])


def g_bipartite(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float64', 'float16')
        shape = (ri(0, 5), ri(0, 5))
        if chance(0.4):
            shape = (ri(1, 3),) + shape
        if chance(0.3):
            x = R.randint(0, 4, shape) / 4.           # many ties
        else:
            x = R.uniform(0, 1, shape)
        kw = dict(threshold=pick(0.0, 0.5, 1e-12, rf(0, 1, 2), 0.25, -1.0),
                  is_ascend=chance(0.3), topk=pick(-1, -1, 0, 1, 2, 3))
        add('bipartite', 'contrib.bipartite_matching', kw, [x.astype(dt)])


def g_cnnblock(n):
    for _ in range(n):
        modulated = chance(0.4)
        g, dg = pick(1, 1, 2), pick(1, 1, 2)
        cin, ch = g * dg * ri(1, 2), g * dg * ri(1, 2)
        k = pick(1, 2, 3, (ri(1, 3), ri(1, 3)))
        kw = dict(channels=ch, kernel_size=k, strides=pick(1, 1, 2, (1, 2)),
                  padding=pick(0, 1, (1, 0)), dilation=pick(1, 1, 2), groups=g,
                  num_deformable_group=dg, use_bias=chance(0.7), in_channels=cin,
                  activation=pick(None, None, 'relu', 'tanh'), offset_use_bias=chance(0.7))
        cls = 'ModulatedDeformableConvolution' if modulated else 'DeformableConvolution'
        x = U(-1, 1, (ri(1, 2), cin, ri(4, 7), ri(4, 7)), fdtype(f16=False))
        cfg = _fuzz.CASES[-1]['cfg'] + 1 if _fuzz.CASES else 0
        for mode in ('eager', 'hyb', 'export'):
            add_case('cnnblock' + ('' if mode == 'eager' else '.' + mode),
                     'net = cnn.%s(%s)' % (cls, _fuzz.kwargs_code(kw)), [x], cfg=cfg,
                     build='net = cnn.%s(%s)' % (cls, _fuzz.kwargs_code(kw)), mode=mode,
                     wrt=[] if modulated else [0])


# -- the detection data path ----------------------------------------------------------------------

def det_label(objs, header, extra):
    """A raw detection label: ``[header width, object width, header extras..., objects...]``."""
    width = 5 + extra
    head = [2 + header, width] + [R.randint(1, 50) for _ in range(header)]
    return head + [round(float(v), 3) for o in objs for v in o]


def det_objects(count, extra, odd):
    """``count`` objects; with ``odd``, of any kind (flipped, empty, past the border, class -1)."""
    objs = []
    for _ in range(count):
        x1, y1 = R.uniform(0, 0.7), R.uniform(0, 0.7)
        x2, y2 = x1 + R.uniform(0.05, 0.3), y1 + R.uniform(0.05, 0.3)
        kind = pick('ok', 'flipped', 'empty', 'outside', 'neg_class') if odd else 'ok'
        cls = ri(0, 3)
        if kind == 'flipped':
            x1, x2 = x2, x1
        elif kind == 'empty':
            y2 = y1
        elif kind == 'outside':
            x2 = x2 + 0.8
        elif kind == 'neg_class':
            cls = -1
        objs.append([cls, x1, y1, x2, y2] + [ri(0, 1) for _ in range(extra)])
    return objs


def g_detiter(n):
    for _ in range(n):
        count = ri(1, 6)
        gray = chance(0.25)
        images, labels = [], []
        header, extra = pick(0, 0, 2), pick(0, 0, 1)
        for _ in range(count):
            hh, ww = ri(4, 20), ri(4, 20)
            shape = (hh, ww) if gray else (hh, ww, 3)
            images.append(R.randint(0, 256, shape).astype(np.uint8))
            labels.append(det_label(det_objects(pick(1, 1, 2, 3) if chance(0.95) else 0,
                                                extra, chance(0.15)), header, extra))
        kind = pick('list', 'rec', 'recordio')
        ch = pick(3, 3, 1) if kind == 'recordio' else 3
        kw = dict(batch_size=ri(1, 4), data_shape=(ch, ri(4, 16), ri(4, 16)))
        if kind == 'recordio':
            if chance(0.3):
                kw['label_pad_width'] = pick(-1, 40)
            if chance(0.3):
                kw.update(mean_r=rf(0, 128), mean_g=rf(0, 128), mean_b=rf(0, 128), std_r=rf(1, 60),
                          std_g=rf(1, 60), std_b=rf(1, 60), scale=pick(1.0, 1 / 255.))
            if chance(0.2):
                kw['resize'] = ri(4, 24)
            if chance(0.2):
                kw['inter_method'] = pick(0, 1, 2)
            if chance(0.3):
                kw['round_batch'] = False
        else:
            for key, val in (('rand_crop', 0.5), ('rand_pad', 0.5), ('rand_mirror', True),
                             ('mean', True), ('std', True), ('resize', ri(6, 24)),
                             ('last_batch_handle', pick('pad', 'discard', 'roll_over')),
                             ('shuffle', True)):
                if chance(0.2):
                    kw[key] = val
        add_case('detiter', '%s %r' % (kind, kw), images, kind=kind, kw=kw, labels=labels,
                 mode='eager', wrt=[], epochs=pick(1, 2), seed=ri(0, 99))


GROUPS = {'deform': (g_deform, 1.0), 'mdeform': (g_mdeform, 0.5), 'corr': (g_corr, 1.0),
          'psroi': (g_psroi, 1.0), 'dpsroi': (g_dpsroi, 1.0), 'proposal': (g_proposal, 1.0),
          'rroi': (g_rroi, 0.7), 'bipartite': (g_bipartite, 1.0), 'cnnblock': (g_cnnblock, 0.7),
          'detiter': (g_detiter, 1.0)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- running a case (the fuzzer's children, the fixture generator and the tests) -----------------

def head_for(cfg, j, out):
    """The head of output ``j`` of configuration ``cfg``: the same under both frameworks and in
    every mode."""
    rng = np.random.RandomState(zlib.crc32(('%s:%d' % (cfg, j)).encode()))
    return rng.standard_normal(out.shape).astype(out.dtype)


def _op(F, name):
    for part in name.split('.'):
        F = getattr(F, part)
    return F


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def run_op(mx, c, arrays, head=head_for):
    """Run operator case ``c`` (``op``, ``kw``, ``mode``, ``wrt``) on the NumPy ``arrays``:
    eagerly, in a hybridized ``HybridLambda`` or (``export``) in that block exported and loaded
    back as a ``SymbolBlock``; back-propagate ``head(cfg, j, out_j)`` to the inputs of ``wrt``.
    Returns ``{'out<j>', 'grad<i>'}``."""
    nd = mx.nd
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in c['kw'].items()}
    xs = [nd.array(a, dtype=a.dtype) for a in arrays]
    if c['mode'] == 'eager':
        call = lambda *a: _op(nd, c['op'])(*a, **kw)  # noqa: E731
    else:
        net = mx.gluon.nn.HybridLambda(lambda F, *a: _op(F, c['op'])(*a, **kw))
        net.hybridize()
        call = net
        if c['mode'] == 'export':
            net(*xs)
            tmp = tempfile.mkdtemp()
            try:
                net.export(os.path.join(tmp, 'net'))
                names = ['data'] if len(xs) == 1 else ['data%d' % i for i in range(len(xs))]
                params = os.path.join(tmp, 'net-0000.params')
                call = mx.gluon.SymbolBlock.imports(
                    os.path.join(tmp, 'net-symbol.json'), names,
                    params if os.path.getsize(params) > 0 else None)
            finally:
                shutil.rmtree(tmp)
    if not c['wrt']:       # outputs alone (MXNet's hybridized RROIAlign refuses record())
        return {'out%d' % j: o.asnumpy() for j, o in enumerate(_flat(call(*xs)))}
    for i in c['wrt']:
        xs[i].attach_grad()
    with mx.autograd.record():
        outs = _flat(call(*xs))
    res = {'out%d' % j: o.asnumpy() for j, o in enumerate(outs)}
    heads = [nd.array(head(c['cfg'], j, r), dtype=r.dtype)
             for j, r in enumerate(res[k] for k in sorted(res))]
    mx.autograd.backward(outs, heads)
    for i in c['wrt']:
        res['grad%d' % i] = xs[i].grad.asnumpy()
    return res


def param_value(cfg, name, shape, dtype):
    """The value every framework gives parameter ``name`` of configuration ``cfg``."""
    rng = np.random.RandomState(zlib.crc32(('%s:%s' % (cfg, name)).encode()))
    return (rng.standard_normal(shape) * 0.5).astype(dtype)


def run_block(mx, c, x):
    """Build ``gluon.contrib.cnn`` block case ``c`` (``build`` sets ``net``), set every parameter
    from ``param_value``, run it on ``x`` eagerly, hybridized or exported and loaded back, and
    back-propagate the head to ``x`` (``wrt``) and the parameters. Returns ``out0``, ``grad0``
    and ``pgrad:<name>``."""
    nd = mx.nd
    env = {'cnn': mx.gluon.contrib.cnn}
    with mx.name.NameManager():
        exec(c['build'], env)
    net = env['net']
    net.cast(str(x.dtype))
    net.initialize()
    xs = nd.array(x, dtype=x.dtype)
    net(xs)         # the deformable weight's in_channels is left to deferred initialisation
    for name, p in net.collect_params().items():
        p.set_data(nd.array(param_value(c['cfg'], name, p.shape, x.dtype), dtype=x.dtype))
    if c['mode'] != 'eager':
        net.hybridize()
    if c['mode'] == 'export':
        net(xs)
        tmp = tempfile.mkdtemp()
        try:
            net.export(os.path.join(tmp, 'net'))
            net = mx.gluon.SymbolBlock.imports(os.path.join(tmp, 'net-symbol.json'), ['data'],
                                               os.path.join(tmp, 'net-0000.params'))
        finally:
            shutil.rmtree(tmp)
    if not c['wrt']:
        return {'out0': net(xs).asnumpy()}
    xs.attach_grad()
    with mx.autograd.record():
        out = net(xs)
    res = {'out0': out.asnumpy()}
    out.backward(nd.array(head_for(c['cfg'], 0, res['out0']), dtype=x.dtype))
    res['grad0'] = xs.grad.asnumpy()
    for name, p in net.collect_params().items():
        if p.grad_req != 'null':
            res['pgrad:' + name.split('_', 1)[-1]] = p.grad().asnumpy()
    return res


def _write_images(mx, folder, c, images):
    """The case's images as PNG files ``<i>.png`` and as ``det.rec`` / ``det.idx`` records with
    their labels; the image list ``[(label, file name)]``."""
    from PIL import Image
    import io
    rec = mx.recordio.MXIndexedRecordIO(os.path.join(folder, 'det.idx'),
                                        os.path.join(folder, 'det.rec'), 'w')
    imglist = []
    for i, (img, label) in enumerate(zip(images, c['labels'])):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format='PNG')
        Image.fromarray(img).save(os.path.join(folder, '%d.png' % i))
        header = mx.recordio.IRHeader(0, np.array(label, np.float32), i, 0)
        rec.write_idx(i, mx.recordio.pack(header, buf.getvalue()))
        imglist.append([label, '%d.png' % i])
    rec.close()
    return imglist


def run_detiter(mx, c, images):
    """Run detection iterator case ``c`` (``kind``: ``list`` and ``rec`` are ImageDetIter from
    an image list or the .rec, ``recordio`` ImageDetRecordIter) on the NumPy ``images`` for
    ``epochs`` epochs after seeding Python's and NumPy's generators with ``seed``. Returns the
    batches ``data<e>_<b>``, ``label<e>_<b>``, ``pad<e>_<b>`` and ``label_shape``."""
    import random
    tmp = tempfile.mkdtemp()
    try:
        imglist = _write_images(mx, tmp, c, images)
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in c['kw'].items()}
        random.seed(c['seed'])
        np.random.seed(c['seed'])
        if c['kind'] == 'list':
            it = mx.image.ImageDetIter(imglist=imglist, path_root=tmp, **kw)
        elif c['kind'] == 'rec':
            it = mx.image.ImageDetIter(path_imgrec=os.path.join(tmp, 'det.rec'),
                                       path_imgidx=os.path.join(tmp, 'det.idx'), **kw)
        else:
            it = mx.io.ImageDetRecordIter(path_imgrec=os.path.join(tmp, 'det.rec'), **kw)
        res = {'label_shape': np.array(it.provide_label[0][1])}
        for e in range(c['epochs']):
            if e:
                it.reset()
            for b, batch in enumerate(it):
                res['data%d_%d' % (e, b)] = batch.data[0].asnumpy()
                res['label%d_%d' % (e, b)] = batch.label[0].asnumpy()
                res['pad%d_%d' % (e, b)] = np.array(batch.pad)
        return res
    finally:
        shutil.rmtree(tmp)


def run_case(mx, c, inputs):
    try:        # an asynchronous MXNet error of the previous case must not land in this one
        mx.nd.waitall()
    except Exception:  # noqa: BLE001
        pass
    arrays = [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])]
    if c['group'] == 'detiter':
        return run_detiter(mx, c, arrays)
    if c['group'].startswith('cnnblock'):
        return run_block(mx, c, arrays[0])
    return run_op(mx, c, arrays)


# -- comparison ---------------------------------------------------------------------------------

def _rows_up_to_ties(m, o):
    """Whether Proposal's outputs agree once rows of equal score may come in any order."""
    if 'out1' not in m or 'out1' not in o or m['out0'].shape != o['out0'].shape:
        return False
    if not np.array_equal(m['out1'], o['out1']):
        return False
    key = lambda r, s: np.lexsort(np.concatenate([r, s], 1).T[::-1])  # noqa: E731
    return np.allclose(m['out0'][key(m['out0'], m['out1'])],
                       o['out0'][key(o['out0'], o['out1'])], rtol=1e-5, atol=1e-4)


def known(c, m, o, kind):
    g, kw, err = c['group'], c['kw'], str(m.get('error', ''))
    if g.startswith('bipartite') and kw.get('topk', -1) > 0:
        return 'topk'
    if g.startswith('bipartite') and kind == 'mx-error-ours-ok' and 0 in c['shapes'][0][-2:]:
        return 'empty-matrix'
    if kind == 'mx-error-ours-ok' and 'FP16 gemm on cpu' in err:
        return 'float16-deform'
    if kind == 'mx-error-ours-ok' and 'must divide deformable group' in err:
        return 'mdeform-filters'
    if g.startswith('proposal') and kind == 'mx-error-ours-ok' and 'Unsupported data type' in err:
        return 'proposal-float64'
    if g.startswith('rroi.') and kind == 'mx-error-ours-ok' and 'non-differentiable' in err:
        return 'rroi-hybridized'
    if g == 'detiter' and c['kind'] == 'recordio' and 'must be bigger than batch' in err and \
            c['kw']['batch_size'] - c['n_in'] % c['kw']['batch_size'] > c['n_in']:
        return 'round-wrap'
    if g == 'detiter' and c['kind'] != 'recordio' and c['n_in'] % c['kw']['batch_size'] and \
            c['kw'].get('last_batch_handle', 'pad') == 'pad':
        return 'pad-wrap'
    if c['group'].startswith('proposal') and kind == 'diff' and _rows_up_to_ties(m, o):
        return 'tie-order'
    return None


def _drop_filler_rows(c, res):
    """ImageDetRecordIter with ``round_batch=False``: the rows after the last record of the last
    batch (MXNet 1.9.1 leaves stale rows there, minigluon zeros; its docstring) are cut."""
    res = dict(res)
    for k in [k for k in res if k.startswith('pad')]:
        pad = int(res[k])
        for kind in ('data', 'label'):
            key = kind + k[3:]
            if pad and key in res:
                res[key] = res[key][:c['kw']['batch_size'] - pad]
    return res


def check(c, m, o):
    if c['group'] == 'detiter' and c['kind'] == 'recordio' and \
            not c['kw'].get('round_batch', True):
        m, o = _drop_filler_rows(c, m), _drop_filler_rows(c, o)
    return _fuzz.check_case(m, o, TOL, dtype=lambda k: not k.startswith(('grad', 'pgrad')))


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case, quiet=True),
               lambda casedir: _fuzz.compare_cases(casedir, check, known), n=20, timeout=300)


if __name__ == '__main__':
    main()
