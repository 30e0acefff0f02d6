/* _stack_chunks: CPython 3.11 keeps each thread's frames in a chain of 16 KiB chunks, maps a new chunk when
 * a call does not fit in the current one and unmaps it as soon as that call returns. A loop whose calls
 * cross a chunk's edge pays an mmap, a munmap and four page faults per call: in the test suite, under
 * pytest's own frames, the calculator's answers crossed ~270 times each, a fifth of the suite's CPU in
 * the kernel (python/cpython#142183; 3.13 and 3.14 fixed it by keeping one free chunk per thread,
 * python/cpython#145789, not backported to 3.11). This module does the same for 3.11: the arena allocator
 * (which maps those chunks and pymalloc's 1 MiB arenas) keeps up to KEEP freed chunk-sized blocks and
 * hands them out again, and passes every other size to the allocator it replaces. It is called with the
 * GIL held, like every allocator of Python objects. Importing the module installs it (config/__init__.py). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define CHUNK_BYTES (16 * 1024) /* _PY_DATA_STACK_CHUNK_SIZE in CPython 3.11's pystate.c */
#define KEEP 16                 /* at most 256 KiB kept per process */

static PyObjectArenaAllocator replaced;
static void *kept[KEEP];
static int n_kept;
static unsigned long long reused;

static void *chunk_alloc(void *ctx, size_t size) {
    if (size == CHUNK_BYTES && n_kept > 0) {
        reused++;
        return kept[--n_kept];
    }
    return replaced.alloc(replaced.ctx, size);
}

static void chunk_free(void *ctx, void *ptr, size_t size) {
    if (size == CHUNK_BYTES && n_kept < KEEP) {
        kept[n_kept++] = ptr;
        return;
    }
    replaced.free(replaced.ctx, ptr, size);
}

static PyObject *reused_blocks(PyObject *self, PyObject *unused) {
    return PyLong_FromUnsignedLongLong(reused);
}

static PyMethodDef methods[] = {
    {"reused_blocks", reused_blocks, METH_NOARGS, "How many freed chunks were handed out again."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stack_chunks", NULL, -1, methods};

PyMODINIT_FUNC PyInit__stack_chunks(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && replaced.alloc == NULL) { /* once per process, even if imported again */
        PyObjectArenaAllocator mine = {NULL, chunk_alloc, chunk_free};
        PyObject_GetArenaAllocator(&replaced);
        PyObject_SetArenaAllocator(&mine);
    }
    return m;
}
