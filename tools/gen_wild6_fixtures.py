"""Golden values for the patterns met in the sixth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild6_fixtures.py

Runs tests/_wild6_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild6/wild6.json, read by
tests/test_wild_scripts_6.py. The programs:

* ``onehot_view``: ``act[0][action] = 1`` on ``nd.array(np.zeros(...))`` (an A2C trainer builds its
  one-hot action this way): the row ``act[0]`` is a view, so the write reaches ``act``.
* ``two_backward``: an actor-critic step that calls ``backward(retain_graph=True)`` twice inside
  ``autograd.record()`` (actor loss, then critic L1 loss); the critic's gradient is the second
  backward's alone (grad_req 'write').
* ``dqn_target``: ``target[i] = target[i] + gamma * np.max(net(x_i), 1)``, NumPy's ``max`` applied to
  an NDArray (a DQN replay step), and the type it gives at each step.
* ``pixel_shuffle``: a sub-pixel shuffle written with Reshape's -4 / -3 codes and a 6-D transpose
  (AlphaPose), its output eager and hybridized, the shape attributes export writes and the
  exported graph read back by ``SymbolBlock.imports``.
* ``cond_instance_norm``: the conditional instance norm of a style-transfer network: ``take`` of a
  (styles, C) gamma/beta, ``split(..., squeeze_axis=True)`` per sample (a single array when
  num_outputs is 1), ``InstanceNorm`` per slice, ``concat``; outputs and gradients, eager and hybridized.
* ``soft_logits``: a knowledge-distillation loss: ``softmax``/``log_softmax`` with ``temperature``
  (axis given positionally), ``mean(axis=0, exclude=True)``; loss and the student's gradient.
* ``ctc_one_step``: CTCLoss(layout='NTC', label_layout='NT') over one time step with one-element labels
  (an OCR trainer's [[6], [0], [8], [1]] after its transpose): gluon's CTCLoss puts the blank last, so
  0 is an ordinary class (padding is -1).
* ``array_sources``: ``nd.array`` of a ``range`` and of an ``np.matrix`` (a GCN's index vectors and
  densified features).
* ``image_folder``: ImageFolderDataset(flag=1) over a few seeded PNG files the program writes (a
  small PNG writer of its own, so both frameworks decode the same pixels), ``image.imresize`` of
  float32 data,
  ``CreateAugmenter(data_shape, mean, std)``'s augmenters and their output, as a dog-breed
  feature-extraction script uses them.
* ``list_gpus``: ``repr(mx.test_utils.list_gpus())`` on a machine without a GPU.
* ``conv_kernel_too_big``: the error type of a deferred Conv2D whose kernel exceeds its input.
"""
import os
import sys
import warnings

warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record  # noqa: E402


def main(names=()):
    tests = os.path.join(HERE, '..', 'tests')
    record(os.path.join(tests, '_wild6_programs.py'), 'wild6_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild6', 'wild6.json'), names)


if __name__ == '__main__':
    main(sys.argv[1:])
