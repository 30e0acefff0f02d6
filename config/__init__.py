"""The project package: settings, URLs, middleware. Importing it (every Django process does, for its
settings) installs `_stack_chunks` where it was built (setup.py, config/stack_chunks.c): CPython 3.11 maps
and unmaps a 16 KiB chunk of its frame stack each time a call crosses a chunk's edge
(python/cpython#142183), ~270 times per calculator answer under pytest's frames, a fifth of the test
suite's CPU spent in the kernel (bench/README.md, "Test suite"); the module keeps freed chunks for reuse,
as CPython 3.13 does."""

import contextlib

with contextlib.suppress(ImportError):
    import _stack_chunks  # noqa: F401
