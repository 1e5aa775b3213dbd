/* etagcore._etag.resident(buffer, offset, length): whether every page of buffer[offset:offset +
 * length] (a mapping of a file) is in memory now, by mincore(2). files._hash_leased hashes a
 * slice of a mapped file only when it is: a page read from storage while hashed could take
 * longer than the file lease that keeps the file from being truncated under the mapping. The
 * GIL is released: on a large mapping the page-cache walk takes ~20 ns a page. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "etag_base.h"

static PyObject *resident(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer view;
    Py_ssize_t offset, length, page = (Py_ssize_t)sysconf(_SC_PAGESIZE);
    unsigned char small[256], *vector = small;
    int answer = 1;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "resident(buffer, offset, length) takes 3 arguments");
        return NULL;
    }
    if ((offset = PyLong_AsSsize_t(args[1])) == -1 && PyErr_Occurred())
        return NULL;
    if ((length = PyLong_AsSsize_t(args[2])) == -1 && PyErr_Occurred())
        return NULL;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (offset < 0 || length < 0 || offset > view.len || length > view.len - offset || page <= 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "resident(): the range is outside the buffer");
        return NULL;
    }
    if (length > 0) {
        uintptr_t start = (uintptr_t)view.buf + (uintptr_t)offset, first = start - start % (uintptr_t)page;
        size_t span = (size_t)(start + (uintptr_t)length - first), pages = (span + (size_t)page - 1) / (size_t)page;
        if (pages > sizeof(small) && (vector = PyMem_Malloc(pages)) == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
        int failed;
        Py_BEGIN_ALLOW_THREADS /* the buffer is held: the mapping stays while this runs */
        failed = mincore((void *)first, span, vector) != 0;
        Py_END_ALLOW_THREADS
        if (failed) {
            answer = 0; /* not a mapping mincore can tell about: not known to be in memory */
        } else {
            for (size_t i = 0; i < pages; i++)
                if (!(vector[i] & 1)) {
                    answer = 0;
                    break;
                }
        }
        if (vector != small)
            PyMem_Free(vector);
    }
    PyBuffer_Release(&view);
    return PyBool_FromLong(answer);
}

static PyMethodDef functions[] = {
    {"resident", (PyCFunction)(void (*)(void))resident, METH_FASTCALL,
     "resident(buffer, offset, length) -> bool: every page of that range of a mapping is in memory"},
    {NULL, NULL, 0, NULL},
};

int etagcore_add_pages(PyObject *m) { return PyModule_AddFunctions(m, functions); }
