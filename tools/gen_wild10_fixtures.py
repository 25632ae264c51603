"""Golden values for the tenth trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild10_fixtures.py

Runs tests/_wild10_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild10/wild10.json, read by
tests/test_wild_scripts_10.py. With program names as arguments it prints what those return and
writes nothing. The programs and their sources:

* ``sockeye_beam``: Sockeye 2's beam search (awslabs/sockeye sockeye/beam_search.py, MXNet era).
* ``sockeye_layers``: Sockeye 1.x layers (sockeye/layers.py: layer norm, LHUC, multi-head
  attention, weight-normalized output layer, length ratio).
* ``elmo_char``: GluonNLP's ELMo character encoder, highway, HighwayBias and LSTMP cell with clip
  (src/gluonnlp/model/elmo.py, convolutional_encoder.py, highway.py, lstmpcellwithclip.py,
  initializer/initializer.py).
* ``sampled_softmax``: GluonNLP's sampled softmax / NCE blocks (src/gluonnlp/model/sampled_block.py).
* ``embednet``: AutoGluon's tabular EmbedNet (autogluon/utils/tabular/ml/models/tabular_nn/embednet.py).
* ``rcnn_targets``: GluonCV's R-CNN target sampler and box coders (gluoncv/model_zoo/rcnn/
  rcnn_target.py, gluoncv/nn/coder.py, gluoncv/nn/bbox.py).
* ``d2l_cnns``: d2l's (MXNet) NiN, GoogLeNet Inception, DenseNet and batch norm from scratch.
* ``mobilenetv3``: GluonCV's MobileNetV3 (gluoncv/model_zoo/mobilenetv3.py, gluoncv/nn/block.py).
* ``gluonnlp_beam``: GluonNLP's beam search samplers (src/gluonnlp/model/sequence_sampler.py).
* ``elmo_bilm``: GluonNLP's ELMo biLM (src/gluonnlp/model/bilm_encoder.py, elmo.py, utils.py).
* ``sockeye_loss``: Sockeye 1.x's losses (sockeye/loss.py: SoftmaxOutput cross-entropy,
  CrossEntropyMetric, a fork's attention-monotonicity loss).
* ``bert_finetune``: GluonNLP's BERTAdam and LAMB (src/gluonnlp/optimizer/bert_adam.py, lamb.py),
  clip_grad_global_norm (utils/parameter.py) and the loop of scripts/bert/finetune_classifier.py.
* ``gluonnlp_data``: GluonNLP's batchify functions and corpus batchifiers
  (src/gluonnlp/data/batchify/batchify.py, language_model.py, data/utils.py).
* ``sockeye_conv``: Sockeye 1.x's convolutional encoders (sockeye/convolution.py, encoder.py).
* ``gluoncv_parallel``: GluonCV's threaded data parallelism (gluoncv/utils/parallel.py).
* ``local_sgd``: a local-SGD Trainer subclass for GluonNLP's Transformer (a public fork's
  local_sgd trainer over MXNet's gluon/trainer.py).
* ``fp16_trainer``: GluonNLP's FP16Trainer and loss scalers (scripts/bert/fp16_utils.py).
* ``gluonts_trainer``: gluon-ts's MXNet training loop (src/gluonts/trainer/_base.py as a fork's
  MlflowTrainer rewrites it, support/util.py's HybridContext).
* ``dgl_gcn``: DGL's MXNet control-variate GCN example (examples/mxnet/sampling/gcn_cv_sc.py).
* ``yolo_targets``: GluonCV's YOLOv3 target generators and merger
  (gluoncv/model_zoo/yolo/yolo_target.py, gluoncv/nn/bbox.py).
"""
import os
import sys
import warnings

# MXNet's own CPU kernels, not oneDNN's (as tools/gen_wild9_fixtures.py): the programs set parameter
# values after a first call in predict mode, which MXNet 1.9.1's oneDNN build refuses for a used
# convolution weight. Set before MXNet is imported.
os.environ['MXNET_MKLDNN_ENABLED'] = '0'
warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record  # noqa: E402


def main(names=()):
    tests = os.path.join(HERE, '..', 'tests')
    record(os.path.join(tests, '_wild10_programs.py'), 'wild10_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild10', 'wild10.json'), names)


if __name__ == '__main__':
    main(sys.argv[1:])
