"""docs/DESIGN.md, "Following one training step" and "Following one hybridized training step":
the walk-throughs name the functions, classes and attributes one eager and one hybridized
training step go through; each must still exist in the code, and each file they cite must exist,
so the guides cannot go stale silently. (examples/trace_one_step.py prints the calls themselves;
tests/examples/test_trace_one_step.py checks their order.)"""
import pytest

from _design_guide import cited_files, cited_names, missing_files, missing_names, section

STEP_FILES = ('minigluon/autograd.py', 'minigluon/block/block.py', 'minigluon/block/hybrid.py',
              'minigluon/block/_graph.py', 'minigluon/block/sequential.py',
              'minigluon/block/symbol_block.py', 'minigluon/parameter.py',
              'minigluon/parameter_access.py', 'minigluon/ndarray/__init__.py',
              'minigluon/ndarray/dispatch.py', 'minigluon/ndarray/ndarray.py',
              'minigluon/ops/registry.py', 'minigluon/ops/nn.py', 'minigluon/ops/ctc.py',
              'minigluon/ops/_workspace.py', 'minigluon/loss/ctc.py',
              'minigluon/nn/basic_layers.py', 'minigluon/trainer.py', 'minigluon/optimizer/base.py',
              'minigluon/optimizer/sgd.py', 'minigluon/optimizer/adaptive.py',
              'minigluon/symbol/creation.py', 'minigluon/symbol/symbol.py',
              'minigluon/symbol/graph.py', 'minigluon/symbol/infer.py',
              'minigluon/symbol/json_io.py', 'minigluon/executor.py', 'minigluon/executor_plan.py',
              'minigluon/serialization.py')
TITLES = ('Following one training step', 'Following one hybridized training step')


@pytest.mark.parametrize('title', TITLES)
def test_every_name_in_the_training_step_guides_exists_in_the_code(title):
    guide = section(title)
    assert len(cited_names(guide)) > 30     # the guide names the functions, not only files
    assert missing_names(guide, STEP_FILES) == set()


@pytest.mark.parametrize('title', TITLES)
def test_every_file_in_the_training_step_guides_exists(title):
    guide = section(title)
    assert len(cited_files(guide)) >= 10
    assert missing_files(guide) == []


@pytest.mark.parametrize('stale', ['`_run_backward_gone`', '`block/no_such_file.py`'])
def test_the_checks_catch_a_stale_name_or_file(stale):
    guide = section(TITLES[1]) + ' ' + stale
    assert missing_names(guide, STEP_FILES) or missing_files(guide)
