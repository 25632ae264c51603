"""docs/DESIGN.md, "CTC, the centrepiece": the reading guide names functions, classes and
attributes of the CTC code; each must still exist there, so the guide cannot go stale silently."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
CTC_FILES = ('minigluon/loss/ctc.py', 'minigluon/loss/loss.py', 'minigluon/ops/ctc.py',
             'minigluon/ops/ctc_kernel.py', 'minigluon/ops/_ctc_numba_kernels.py',
             'minigluon/ops/ctc_cuda.py', 'minigluon/ctc.py')


def _ctc_section():
    text = (ROOT / 'docs' / 'DESIGN.md').read_text()
    start = text.index('## CTC, the centrepiece')
    return text[start:text.index('\n## ', start + 1)]


def test_every_name_in_the_ctc_reading_guide_exists_in_the_code():
    names = set(re.findall(r'`([A-Za-z_][A-Za-z_0-9]*)`', _ctc_section()))
    source = ''.join((ROOT / f).read_text() for f in CTC_FILES)
    words = set(re.findall(r'\w+', source))
    assert len(names) > 20          # the guide names the functions, not only the files
    assert names - words == set()


def test_every_file_in_the_ctc_reading_guide_exists():
    paths = {p for p in re.findall(r'`((?:\w+/)*\w+\.py)`', _ctc_section())
             if not p.startswith('chainer/')}          # the model it names, not a file here
    assert len(paths) >= 6
    missing = [p for p in paths if not any((ROOT / base / p).exists()
                                           for base in ('minigluon', '.', 'minigluon/ops'))]
    assert missing == []
