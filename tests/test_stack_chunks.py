"""config/stack_chunks.c: CPython 3.11's frame-stack chunks kept for reuse (python/cpython#142183)."""

import sys

import config  # noqa: F401  (installs the module, as every Django process does)


def test_calls_that_cross_a_chunk_edge_reuse_a_kept_chunk():
    assert "_stack_chunks" in sys.modules, "not built: scripts/venv.sh needs gcc and Python's headers"
    import _stack_chunks

    def down(n: int) -> int:
        return down(n - 1) + 1 if n else 0

    before = _stack_chunks.reused_blocks()
    for _ in range(50):
        assert down(600) == 600  # 600 frames take several 16 KiB chunks, freed on the way back
    assert _stack_chunks.reused_blocks() - before >= 50
