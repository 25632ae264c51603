"""docs/DESIGN.md's reading guides ("Following one operator call", "Following one training step",
"Following one hybridized training step", "CTC, the centrepiece", "Following a name", "Following a
save and a load") name the functions, classes and attributes a reader meets in call order; each
name must still be a word of the files the guide covers, and each file it cites must exist, so
the guides cannot go stale silently. (examples/trace_one_step.py prints the calls of a training
step, tests/examples/test_trace_one_step.py checks their order; examples/inspect_params_file.py
prints a .params file's fields, tests/examples/test_inspect_params_file.py checks them.)"""
import pytest

from _design_guide import cited_files, cited_names, missing_files, missing_names, section

OP_CALL = ('minigluon/ops/registry.py', 'minigluon/ops/attr.py', 'minigluon/ops/binding.py',
           'minigluon/ops/__init__.py', 'minigluon/ops/conv.py', 'minigluon/ops/unary.py',
           'minigluon/ndarray/__init__.py', 'minigluon/ndarray/dispatch.py',
           'minigluon/ndarray/ndarray.py', 'minigluon/ndarray/helpers.py',
           'minigluon/autograd.py', 'minigluon/symbol/__init__.py',
           'minigluon/symbol/creation.py', 'minigluon/symbol/graph.py',
           'minigluon/symbol/infer.py', 'minigluon/executor.py',
           'minigluon/nn/basic_layers.py')
TRAINING_STEP = ('minigluon/autograd.py', 'minigluon/block/block.py',
                 'minigluon/block/hybrid.py', 'minigluon/block/_graph.py',
                 'minigluon/block/sequential.py', 'minigluon/block/symbol_block.py',
                 'minigluon/parameter.py', 'minigluon/parameter_access.py',
                 'minigluon/ndarray/__init__.py', 'minigluon/ndarray/dispatch.py',
                 'minigluon/ndarray/ndarray.py', 'minigluon/ops/registry.py',
                 'minigluon/ops/nn.py', 'minigluon/ops/ctc.py', 'minigluon/ops/_workspace.py',
                 'minigluon/loss/ctc.py', 'minigluon/nn/basic_layers.py', 'minigluon/trainer.py',
                 'minigluon/optimizer/base.py', 'minigluon/optimizer/sgd.py',
                 'minigluon/optimizer/adaptive.py', 'minigluon/symbol/creation.py',
                 'minigluon/symbol/symbol.py', 'minigluon/symbol/graph.py',
                 'minigluon/symbol/infer.py', 'minigluon/symbol/json_io.py',
                 'minigluon/executor.py', 'minigluon/executor_plan.py',
                 'minigluon/serialization.py')
CTC = ('minigluon/loss/ctc.py', 'minigluon/loss/loss.py', 'minigluon/ops/ctc.py',
       'minigluon/ops/ctc_kernel.py', 'minigluon/ops/_ctc_numba_kernels.py',
       'minigluon/ops/ctc_cuda.py', 'minigluon/ctc.py')
SAVE_LOAD = ('minigluon/name.py', 'minigluon/base.py', 'minigluon/block/block.py',
             'minigluon/block/_scope.py', 'minigluon/block/_io.py', 'minigluon/block/hybrid.py',
             'minigluon/block/sequential.py', 'minigluon/block/symbol_block.py',
             'minigluon/contrib/nn.py', 'minigluon/nn/basic_layers.py',
             'minigluon/nn/conv_layers.py', 'minigluon/parameter.py',
             'minigluon/parameter_dict.py', 'minigluon/parameter_values.py',
             'minigluon/serialization.py', 'minigluon/symbol/__init__.py',
             'minigluon/symbol/creation.py', 'minigluon/symbol/symbol.py',
             'minigluon/symbol/graph.py', 'minigluon/symbol/json_io.py',
             'minigluon/symbol/op_names.py', 'minigluon/ops/registry.py')

# title -> (the files its names must be found in, at least this many names and files cited,
#           where cited files are looked for, cited paths that are not ours: the sources named)
GUIDES = {
    'Following one operator call': (OP_CALL, 40, 10, ('minigluon', '.'), ()),
    'Following one training step': (TRAINING_STEP, 30, 10, None, ()),
    'Following one hybridized training step': (TRAINING_STEP, 30, 10, None, ()),
    'CTC, the centrepiece': (CTC, 20, 6, None, ('chainer/',)),
    'Following a name': (SAVE_LOAD, 30, 6, None, ('python/mxnet/',)),
    'Following a save and a load': (SAVE_LOAD, 30, 6, None, ('python/mxnet/',)),
}


def _missing_files(title, text):
    _, _, _, bases, ignore = GUIDES[title]
    return missing_files(text, ignore=ignore, **({} if bases is None else {'bases': bases}))


@pytest.mark.parametrize('title', sorted(GUIDES))
def test_every_name_a_guide_cites_exists_in_the_code(title):
    files, min_names = GUIDES[title][:2]
    guide = section(title)
    assert len(cited_names(guide)) > min_names    # the guide names the functions, not only files
    assert missing_names(guide, files) == set()


@pytest.mark.parametrize('title', sorted(GUIDES))
def test_every_file_a_guide_cites_exists(title):
    guide = section(title)
    assert len(cited_files(guide)) >= GUIDES[title][2]
    assert _missing_files(title, guide) == []


@pytest.mark.parametrize('title', sorted(GUIDES))
@pytest.mark.parametrize('stale', ['`_function_gone_from_the_code`', '`block/no_such_file.py`'])
def test_the_checks_catch_a_stale_name_or_file(title, stale):
    guide = section(title) + ' ' + stale
    assert missing_names(guide, GUIDES[title][0]) or _missing_files(title, guide)
