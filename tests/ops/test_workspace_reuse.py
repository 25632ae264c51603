"""minigluon/ops/_workspace.py: a kept buffer is reused only when nothing else references it.

The reference count of a free buffer is measured at import (``_FREE_REFS``), not assumed: on a
Python whose count is lower than 3 (CPython 3.14 borrows references for locals), a hard-coded 3
would hand out an array the caller still holds.
"""
import numpy as np

from minigluon.ops import _workspace
from minigluon.ops._workspace import buffer


def test_free_reference_count_is_measured_as_buffer_reads_it():
    ws = {'k': np.empty(2)}
    assert _workspace._references_when_free(ws, 'k') == _workspace._FREE_REFS


def test_a_held_buffer_or_a_view_of_it_is_never_handed_out_again():
    ws = {}
    held = buffer(np, ws, 'x', (4,), np.float64)
    held[:] = 7.0
    other = buffer(np, ws, 'x', (4,), np.float64, zero=True)
    assert other is not held and np.all(held == 7.0)
    view = other[1:]
    del other
    again = buffer(np, ws, 'x', (4,), np.float64, zero=True)
    assert again.base is None and view.base is not again
    del view, again
    reused = buffer(np, ws, 'x', (4,), np.float64)
    assert reused is ws['x']                   # only the dict holds it: reused


def test_without_a_workspace_buffers_are_new():
    assert np.all(buffer(np, None, 'x', (3,), np.float32, zero=True) == 0)
