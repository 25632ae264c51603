"""Regressions found running GluonCV 0.10.5's unchanged model zoo on minigluon through
``python -m minigluon.compat`` (tools/check_gluoncv.py). These tests use no GluonCV: each one
is the pattern GluonCV's code relies on, written small."""
import subprocess
import sys
import textwrap

import pytest


def _run_under_alias(code):
    """Run ``code`` in a fresh interpreter after install_mxnet_alias(); its stdout, split."""
    prog = 'import minigluon.compat\nminigluon.compat.install_mxnet_alias()\n' + textwrap.dedent(code)
    out = subprocess.run([sys.executable, '-c', prog], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_mxnet_version_under_the_alias_passes_a_library_version_gate():
    # gluoncv/__init__.py refuses to import unless 1.4.0 <= mxnet.__version__ < 2.0.0 (it compares
    # with distutils' LooseVersion, i.e. number by number); under the alias it was minigluon's
    # 0.1.0, so `import gluoncv` failed ("Legacy mxnet==0.1.0 detected").
    got = _run_under_alias('''
        import mxnet
        v = tuple(int(p) for p in mxnet.__version__.split('.'))
        print(mxnet.__version__, (1, 4, 0) <= v < (2, 0, 0))
    ''')
    assert got == ['1.9.1', 'True']


def test_minigluon_keeps_its_own_version_without_the_alias():
    import importlib.metadata
    out = subprocess.run([sys.executable, '-c', 'import minigluon; print(minigluon.__version__)'],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == importlib.metadata.version('minigluon') != '1.9.1'


def test_dataloader_private_multiworker_iterator_can_be_imported_and_subclassed():
    # gluoncv/data/dataloader.py, imported by `import gluoncv`, does
    # `from mxnet.gluon.data.dataloader import DataLoader, _MultiWorkerIter` and subclasses it at
    # module level: the import failed (ImportError), so gluoncv did not import at all.
    from minigluon.gluon.data.dataloader import DataLoader, _MultiWorkerIter

    class Sub(_MultiWorkerIter):
        pass

    assert DataLoader is not None
    # minigluon's DataLoader has no such iterator: using one says what to use instead
    with pytest.raises(NotImplementedError, match='DataLoader'):
        Sub(None, None, None)


def test_dataloader_private_iterator_under_the_alias():
    got = _run_under_alias('''
        from mxnet.gluon.data.dataloader import DataLoader, _MultiWorkerIter
        print(_MultiWorkerIter.__name__, DataLoader.__name__)
    ''')
    assert got == ['_MultiWorkerIter', 'DataLoader']


def _greedy_nms_reference(boxes, classes, thresh, strict):
    """The greedy suppression written plainly: one box at a time against each later live box."""
    def area(b):
        w, h = b[2] - b[0], b[3] - b[1]
        return w * h if (w > 0 and h > 0) else 0.0
    alive = [True] * len(boxes)
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        for j in range(i + 1, len(boxes)):
            if not alive[j] or (classes is not None and classes[j] != classes[i]):
                continue
            iw = min(boxes[i][2], boxes[j][2]) - max(boxes[i][0], boxes[j][0])
            ih = min(boxes[i][3], boxes[j][3]) - max(boxes[i][1], boxes[j][1])
            inter = iw * ih if (iw > 0 and ih > 0) else 0.0
            union = area(boxes[i]) + area(boxes[j]) - inter
            iou = inter / union if union > 0 else 0.0
            if (iou > thresh) if strict else (iou >= thresh):
                alive[j] = False
    return [i for i, a in enumerate(alive) if a]


@pytest.mark.parametrize('strict', [True, False])
@pytest.mark.parametrize('with_classes', [True, False])
def test_blocked_greedy_nms_keeps_the_boxes_of_the_plain_loop(strict, with_classes):
    # box_nms walked one kept box at a time with several NumPy calls each: 4.6 s of a 7 s forward
    # pass of GluonCV's faster_rcnn_fpn_resnet50_v1b_coco (thousands of kept boxes). It now takes
    # the IoU rows of 256 boxes at once; the kept boxes must be the plain loop's, across blocks,
    # with exact duplicates (IoU exactly 1.0), degenerate boxes and classes.
    import numpy as np
    from minigluon.ops.detection_nms import _greedy_nms
    rng = np.random.RandomState(7)
    xy = rng.uniform(0, 50, size=(600, 2))
    wh = rng.uniform(-2, 20, size=(600, 2))           # some negative: zero-area boxes
    boxes = np.concatenate([xy, xy + wh], axis=1).astype('float32')
    boxes[300:320] = boxes[10:30]                      # exact duplicates across the block edge
    classes = rng.randint(0, 3, size=600).astype('float32') if with_classes else None
    got = _greedy_nms(boxes, classes, 0.5, strict).tolist()
    want = _greedy_nms_reference(boxes.astype('float64').tolist(),
                                 None if classes is None else classes.tolist(), 0.5, strict)
    assert got == want
    assert 0 < len(got) < 600


def test_image_image_submodule_as_mxnet_lays_it_out():
    # MXNet's mxnet.image is a package: mxnet/image/image.py holds imresize and the private
    # _get_interp_method, which GluonCV's resize_short_within / imresize import from
    # mxnet.image.image ("No module named 'mxnet.image.image'; 'mxnet.image' is not a package").
    import minigluon as mx
    from minigluon.image.image import _get_interp_method, imresize
    assert imresize is mx.image.imresize and mx.image.image.imresize is imresize
    # MXNet 1.9.1's docstring: interp 9 is area (3) to shrink, bicubic (2) to enlarge;
    # sizes are (old h, old w, new h, new w)
    assert _get_interp_method(9, (10, 10, 5, 5)) == 3 and _get_interp_method(9, (5, 5, 10, 10)) == 2
    got = _run_under_alias('''
        from mxnet.image.image import _get_interp_method
        import mxnet
        print(_get_interp_method(9, (10, 10, 5, 5)), mxnet.image.image.imresize is mxnet.image.imresize)
    ''')
    assert got == ['3', 'True']
