"""docs/DESIGN.md, "Following a name" and "Following a save and a load": the walk-throughs name
the functions, classes and attributes that make a block's and a Parameter's names and that one
save, load, export and import go through; each must still exist in the code, and each file they
cite must exist, so the guides cannot go stale silently. (examples/inspect_params_file.py prints
a file's fields; tests/examples/test_inspect_params_file.py checks them.)"""
import pytest

from _design_guide import cited_files, cited_names, missing_files, missing_names, section

FILES = ('minigluon/name.py', 'minigluon/base.py', 'minigluon/block/block.py',
         'minigluon/block/_scope.py', 'minigluon/block/_io.py', 'minigluon/block/hybrid.py',
         'minigluon/block/sequential.py', 'minigluon/block/symbol_block.py',
         'minigluon/contrib/nn.py', 'minigluon/nn/basic_layers.py', 'minigluon/nn/conv_layers.py',
         'minigluon/parameter.py', 'minigluon/parameter_dict.py', 'minigluon/parameter_values.py',
         'minigluon/serialization.py', 'minigluon/symbol/__init__.py',
         'minigluon/symbol/creation.py', 'minigluon/symbol/symbol.py',
         'minigluon/symbol/graph.py', 'minigluon/symbol/json_io.py',
         'minigluon/symbol/op_names.py', 'minigluon/ops/registry.py')
TITLES = ('Following a name', 'Following a save and a load')
MXNET_SOURCES = ('python/mxnet/',)      # MXNet's files, cited as the source of the rules


@pytest.mark.parametrize('title', TITLES)
def test_every_name_in_the_save_and_load_guides_exists_in_the_code(title):
    guide = section(title)
    assert len(cited_names(guide)) > 30     # the guide names the functions, not only files
    assert missing_names(guide, FILES) == set()


@pytest.mark.parametrize('title', TITLES)
def test_every_file_in_the_save_and_load_guides_exists(title):
    guide = section(title)
    assert len(cited_files(guide)) >= 6
    assert missing_files(guide, ignore=MXNET_SOURCES) == []


@pytest.mark.parametrize('stale', ['`_pairs_by_key_gone`', '`block/no_such_file.py`'])
def test_the_checks_catch_a_stale_name_or_file(stale):
    guide = section(TITLES[1]) + ' ' + stale
    assert missing_names(guide, FILES) or missing_files(guide, ignore=MXNET_SOURCES)
