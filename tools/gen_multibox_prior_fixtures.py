"""Golden file for ``contrib.MultiBoxPrior`` to the last bit (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_multibox_prior_fixtures.py

Writes tests/fixtures/multibox_prior/multibox_prior.json: for a grid of feature-map shapes,
sizes, ratios, steps, offsets and clip, the SHA-256 (first 16 hex digits) of the float32 anchors MXNet computes (and the
anchors themselves for the small maps), plus the example of MXNet's example/gluon/ssd/toy_ssd.py
geometry where two anchors tie in IoU with a box, and the class targets MultiBoxTarget gives them.
"""
import hashlib
import itertools
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'multibox_prior')

SHAPES = [(1, 1), (2, 2), (3, 5), (7, 3), (8, 8), (19, 19)]
SIZES = [(.37, .447), (.2,), (.5, .25, .1)]
RATIOS = [(1, 2, .5), (1,), (2, .5), (1, 3, 1. / 3)]
STEPS = [(-1, -1), (0.07, 0.3)]
OFFSETS_CLIP = [((0.5, 0.5), False), ((0.25, 0.75), True)]

# toy_ssd.py: four feature maps (8, 4, 2, 1) with these sizes and ratios (1, 2, .5)
TOY_SIZES = [[.37, .447], [.54, .619], [.71, .79], [.88, .961]]
TOY_LABEL = [[[1, .5, .5, .9, .9], [0, .1, .6, .3, .9]]]


def toy_anchors():
    maps = [mx.nd.zeros((1, 1, s, s)) for s in (8, 4, 2, 1)]
    anchors = [mx.nd.contrib.MultiBoxPrior(m, sizes=sz, ratios=(1, 2, .5))
               for m, sz in zip(maps, TOY_SIZES)]
    return mx.nd.concat(*anchors, dim=1)


def main():
    cases = []
    for (h, w), sizes, ratios, steps, (offsets, clip) in itertools.product(
            SHAPES, SIZES, RATIOS, STEPS, OFFSETS_CLIP):
        out = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, h, w)), sizes=sizes, ratios=ratios,
                                         steps=steps, offsets=offsets, clip=clip).asnumpy()
        case = {'shape': [h, w], 'sizes': list(sizes), 'ratios': list(ratios),
                'steps': list(steps), 'offsets': list(offsets), 'clip': clip,
                'out_shape': list(out.shape), 'sha256': hashlib.sha256(out.tobytes()).hexdigest()[:16]}
        if h * w <= 2:
            case['bits'] = out.view(np.uint32).ravel().tolist()
        cases.append(case)
    anchors = toy_anchors()
    loc_target, loc_mask, cls_target = mx.nd.contrib.MultiBoxTarget(
        anchors, mx.nd.array(TOY_LABEL), mx.nd.zeros((1, 4, anchors.shape[1])))
    iou = mx.nd.contrib.box_iou(anchors[0], mx.nd.array(TOY_LABEL)[0, :, 1:]).asnumpy()
    toy = {'sizes': TOY_SIZES, 'label': TOY_LABEL, 'iou_167_199': iou[[167, 199], 1].tolist(),
           'cls_target': cls_target.asnumpy()[0].astype(int).tolist(),
           'loc_mask_nonzero': np.nonzero(loc_mask.asnumpy()[0])[0].tolist()}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'multibox_prior.json'), 'w') as f:
        json.dump({'cases': cases, 'toy_ssd': toy}, f, sort_keys=True)
    print('wrote', os.path.join(OUT, 'multibox_prior.json'), len(cases), 'cases')


if __name__ == '__main__':
    main()
