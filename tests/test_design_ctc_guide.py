"""docs/DESIGN.md, "CTC, the centrepiece": the reading guide names functions, classes and
attributes of the CTC code; each must still exist there, so the guide cannot go stale silently."""
from _design_guide import cited_files, cited_names, missing_files, missing_names, section

CTC_FILES = ('minigluon/loss/ctc.py', 'minigluon/loss/loss.py', 'minigluon/ops/ctc.py',
             'minigluon/ops/ctc_kernel.py', 'minigluon/ops/_ctc_numba_kernels.py',
             'minigluon/ops/ctc_cuda.py', 'minigluon/ctc.py')
TITLE = 'CTC, the centrepiece'


def test_every_name_in_the_ctc_reading_guide_exists_in_the_code():
    guide = section(TITLE)
    assert len(cited_names(guide)) > 20          # the guide names the functions, not only the files
    assert missing_names(guide, CTC_FILES) == set()


def test_every_file_in_the_ctc_reading_guide_exists():
    guide = section(TITLE)
    assert len(cited_files(guide)) >= 6
    # chainer/...: the model the guide names, not a file here
    assert missing_files(guide, ignore=('chainer/',)) == []
