"""Operators: the registry and one module per family. Importing this package registers them all."""
from minigluon.ops.registry import OPS, Attr, Op, get_op, register  # noqa: F401
from minigluon.ops import (  # noqa: F401  (each import registers that family's operators)
    elemwise, unary, reduce, shape, indexing, linalg, nn, conv, pooling, norm, rnn, ctc, random_ops, init_ops,
    linalg_la, linalg_tri, sequence, layout, resize, image, image_random, misc,
    scan_stats, ravel, lrn, optimizer_ops, random_nb, random_pdf, random_sample,
    custom, attention, detection, im2col,
    spatial_transformer, legacy_extra, legacy_v1, fft, hawkes, detection_nms, detection_multibox,
    detection_matching, roi, deformable_conv, correlation, psroi, proposal, rroi, amp_ops,
    multi_tensor)
