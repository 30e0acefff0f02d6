"""The project's one compiled module, `_stack_chunks` (config/stack_chunks.c), built by `pip install .`
(scripts/venv.sh) where a C compiler and Python's headers are found. It is optional: without them, or in
the production image (whose pip step copies only pyproject.toml), the site runs without it
(config/__init__.py), only slower where calls cross CPython 3.11's frame-stack chunks."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("_stack_chunks", ["config/stack_chunks.c"], optional=True)])
