/* etagcore._gather: feed a sequence of chunks to a hash object's update() from C.
 *
 * Why the CPython C API and not cffi: the work here is walking a Python list of bytes
 * objects. cffi cannot take a list of buffers without converting every element on the Python
 * side (hundreds of ns a chunk, measured), while reading PyBytes_AS_STRING here costs a few ns.
 * Small chunks are copied into a 1 MiB slab and handed to update() once the slab fills; chunks
 * of at least `direct_min` bytes are handed over as they are, with no copy. A slab is one
 * malloc per call (glibc serves repeated 1 MiB requests from its heap once one is freed, so no
 * fresh page faults: measured, a pool of slabs was no faster). update() gets a memoryview of
 * the slab that is released right after; if the hash object kept an export of it, release
 * fails and the slab is never written again (nor freed).
 *
 * No second thread: a helper hashing one slab while this thread fills the next was built and
 * measured (64 MiB of 64-byte chunks, sha1): each 1 MiB hand-over costs four thread wake-ups and
 * two GIL transfers, about 120 us on a 2-vCPU VM, which ate what the overlap saved (51 ms either
 * way). Walking the chunks is bound by memory reads; prefetching is what helped.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define SLAB_SIZE (1 << 20)
#define SMALL_FLUSH 4096 /* up to this, update() gets a bytes copy: cheaper than a memoryview */

/* Chunk objects are read from memory at random-ish places: ask for the object a few chunks
 * ahead (its header and first data line) while copying this one. Measured on 64-byte chunks. */
#define PREFETCH_AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Hand the gathered bytes to update(). Sets *kept when the callee kept a view of the slab:
 * either an export of our memoryview (release() fails) or a memoryview derived from it
 * (it holds the managed buffer). Then the slab must never be written again. */
static int flush(PyObject *update, char *slab, Py_ssize_t *used, int *kept) {
    PyObject *view, *result, *released, *mbuf;
    PyObject *type, *value, *tb;
    if (*used == 0)
        return 0;
    if (*used <= SMALL_FLUSH) {
        view = PyBytes_FromStringAndSize(slab, *used);
        *used = 0;
        result = view == NULL ? NULL : PyObject_CallOneArg(update, view);
        Py_XDECREF(view);
        Py_XDECREF(result);
        return result == NULL ? -1 : 0;
    }
    view = PyMemoryView_FromMemory(slab, *used, PyBUF_READ);
    if (view == NULL)
        return -1;
    *used = 0;
    result = PyObject_CallOneArg(update, view);
    PyErr_Fetch(&type, &value, &tb); /* an update() error, if any, is the one to report */
    mbuf = (PyObject *)((PyMemoryViewObject *)view)->mbuf;
    *kept = Py_REFCNT(mbuf) > 1;
    released = PyObject_CallMethod(view, "release", NULL);
    *kept |= released == NULL;
    Py_XDECREF(released);
    Py_DECREF(view);
    if (type != NULL) {
        PyErr_Restore(type, value, tb);
        Py_XDECREF(result);
        return -1;
    }
    Py_DECREF(result);
    if (*kept) {
        PyErr_Clear();
        PyErr_SetString(PyExc_BufferError, "update() kept a view of etagcore's gathering buffer");
        return -1;
    }
    return 0;
}

static PyObject *chunk_type_error(PyObject *chunk) {
    if (PyUnicode_Check(chunk))
        return PyErr_Format(PyExc_TypeError,
                            "str chunks are not accepted: encode them first, e.g. chunk.encode('utf-8')");
    return PyErr_Format(PyExc_TypeError,
                        "chunks must be bytes-like objects (bytes, bytearray, memoryview, mmap), not %.100s",
                        Py_TYPE(chunk)->tp_name);
}

/* update_many(update, chunks, direct_min) -> None; chunks: list or tuple. */
static PyObject *update_many(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *update, *seq, *result = NULL;
    Py_ssize_t direct_min, used = 0, i;
    char *slab;
    int kept = 0;
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "update_many(update, chunks, direct_min) takes 3 arguments");
        return NULL;
    }
    update = args[0];
    seq = args[1];
    direct_min = PyLong_AsSsize_t(args[2]);
    if (direct_min == -1 && PyErr_Occurred())
        return NULL;
    if (direct_min < 0 || direct_min > SLAB_SIZE) /* a gathered chunk must fit in the slab */
        direct_min = SLAB_SIZE;
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        PyErr_SetString(PyExc_TypeError, "chunks must be a list or a tuple");
        return NULL;
    }
    slab = PyMem_RawMalloc(SLAB_SIZE);
    if (slab == NULL)
        return PyErr_NoMemory();
    Py_INCREF(seq); /* update() could mutate a list we are walking: hold it, re-read its size */
    for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *chunk = PySequence_Fast_GET_ITEM(seq, i);
        const char *data;
        if (i + PREFETCH_AHEAD < PySequence_Fast_GET_SIZE(seq)) {
            const char *ahead = (const char *)PySequence_Fast_GET_ITEM(seq, i + PREFETCH_AHEAD);
            PREFETCH(ahead);
            PREFETCH(ahead + 64);
        }
        /* The hot case, a small bytes object that fits: no reference, no Python code runs. */
        if (PyBytes_CheckExact(chunk) && PyBytes_GET_SIZE(chunk) < direct_min &&
            used + PyBytes_GET_SIZE(chunk) <= SLAB_SIZE) {
            memcpy(slab + used, PyBytes_AS_STRING(chunk), (size_t)PyBytes_GET_SIZE(chunk));
            used += PyBytes_GET_SIZE(chunk);
            continue;
        }
        Py_ssize_t len;
        Py_buffer view;
        int have_view = 0;
        Py_INCREF(chunk);
        if (PyBytes_CheckExact(chunk)) {
            data = PyBytes_AS_STRING(chunk);
            len = PyBytes_GET_SIZE(chunk);
        } else if (PyObject_GetBuffer(chunk, &view, PyBUF_C_CONTIGUOUS) == 0) {
            have_view = 1;
            data = view.buf;
            len = view.len;
        } else {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                chunk_type_error(chunk);
            }
            Py_DECREF(chunk);
            goto done;
        }
        if (len >= direct_min) {
            PyObject *r;
            if (flush(update, slab, &used, &kept) < 0)
                goto chunk_failed;
            r = PyObject_CallOneArg(update, chunk);
            if (r == NULL)
                goto chunk_failed;
            Py_DECREF(r);
        } else {
            if (used + len > SLAB_SIZE && flush(update, slab, &used, &kept) < 0)
                goto chunk_failed;
            memcpy(slab + used, data, (size_t)len);
            used += len;
        }
        if (have_view)
            PyBuffer_Release(&view);
        Py_DECREF(chunk);
        continue;
    chunk_failed:
        if (have_view)
            PyBuffer_Release(&view);
        Py_DECREF(chunk);
        goto done;
    }
    if (flush(update, slab, &used, &kept) == 0)
        result = Py_NewRef(Py_None);
done:
    Py_DECREF(seq);
    if (!kept) /* a slab some object still views is left alone, never freed */
        PyMem_RawFree(slab);
    return result;
}

static PyMethodDef methods[] = {
    {"update_many", (PyCFunction)(void (*)(void))update_many, METH_FASTCALL,
     "update_many(update, chunks, direct_min): call update() on the chunks of a list or tuple,\n"
     "gathering chunks shorter than direct_min bytes into 1 MiB slabs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "etagcore._gather", NULL, -1, methods};

PyMODINIT_FUNC PyInit__gather(void) { return PyModule_Create(&module); }
