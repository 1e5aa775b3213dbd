/* File calls of etagcore._etag that need a few numbers of one stat(2): os.stat() builds a
 * 20-field stat_result with float times for them, which costs about as much as the system call.
 *
 * StatTag: the `stat` strategy's tag_file(path), the Apache or nginx tag formatted from the
 * struct (etagcore/strategies/stat.py has the rules and the pure-Python twin); anything unusual
 * (not a regular file) goes to the twin, which raises its error.
 * stat_key(path, number): the digest-cache key of files.cache_key(), for a cache hit in one call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "etag_base.h"

enum { INODE = 1, SIZE = 2, MTIME = 4 }; /* Apache's components, in its output order */

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *other; /* the Python tag_file: non-regular files and its error */
    int nginx, components;
    vectorcallfunc vectorcall;
} StatTag;

/* Lowercase hex of *value* at *out*; returns the length. */
static int put_hex(char *out, uint64_t value) {
    char digits[16];
    int n = 0, len;
    do {
        digits[n++] = "0123456789abcdef"[value & 15];
        value >>= 4;
    } while (value);
    for (len = 0; len < n; len++)
        out[len] = digits[n - 1 - len];
    return len;
}

/* Python's f"{value:x}" of a signed value: a minus sign, then the magnitude. */
static int put_signed_hex(char *out, int64_t value) {
    if (value >= 0)
        return put_hex(out, (uint64_t)value);
    out[0] = '-';
    return 1 + put_hex(out + 1, (uint64_t)0 - (uint64_t)value);
}

/* stat(2) of a str, bytes or os.PathLike path, the GIL released as os.stat() does; -1 with
 * OSError (errno and filename) or the path's TypeError/ValueError set. */
static int stat_path(PyObject *path, struct stat *st) {
    PyObject *bytes = NULL;
    int result;
    if (!PyUnicode_FSConverter(path, &bytes))
        return -1;
    Py_BEGIN_ALLOW_THREADS
    result = stat(PyBytes_AS_STRING(bytes), st);
    Py_END_ALLOW_THREADS
    Py_DECREF(bytes);
    if (result != 0)
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
    return result;
}

static PyObject *stat_tag_call(StatTag *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyObject *path, *opaque, *tag;
    struct stat st;
    char text[3 * 18];
    int len = 0, weak = 0;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "tag_file() takes exactly one positional argument (the path)");
        return NULL;
    }
    path = args[0];
    if (stat_path(path, &st) < 0)
        return NULL;
    if (!S_ISREG(st.st_mode))
        return PyObject_CallOneArg(self->other, path);
    if (self->nginx) {
        len = put_signed_hex(text, (int64_t)st.st_mtim.tv_sec);
        text[len++] = '-';
        len += put_signed_hex(text + len, (int64_t)st.st_size);
    } else {
        /* microseconds, floored as Python's st_mtime_ns // 1000 (tv_nsec is never negative) */
        int64_t mtime_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000, now_us;
        struct timespec now;
        if (self->components & INODE)
            len += put_hex(text + len, (uint64_t)st.st_ino);
        if (self->components & SIZE) {
            if (len)
                text[len++] = '-';
            len += put_hex(text + len, (uint64_t)st.st_size);
        }
        if (self->components & MTIME) {
            if (len)
                text[len++] = '-';
            len += put_hex(text + len, (uint64_t)mtime_us);
        }
        clock_gettime(CLOCK_REALTIME, &now); /* time.time_ns() */
        now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
        weak = !(now_us - mtime_us > 1000000); /* Apache: weak within a second of the mtime */
    }
    if ((opaque = PyUnicode_DecodeASCII(text, len, NULL)) == NULL)
        return NULL;
    tag = etagcore_make_etag(self->cls, opaque, weak);
    Py_DECREF(opaque);
    return tag;
}

static PyObject *stat_tag_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    StatTag *self;
    PyObject *cls, *other;
    int nginx, components;
    static char *names[] = {"etag_class", "nginx", "components", "other", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!piO:StatTag", names, &PyType_Type, &cls, &nginx, &components,
                                     &other))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)cls, &etagcore_ETagBaseType)) {
        PyErr_SetString(PyExc_TypeError, "StatTag: etag_class must be a subclass of ETagBase");
        return NULL;
    }
    if (components < 0 || components > (INODE | SIZE | MTIME) || (!nginx && components == 0)) {
        PyErr_SetString(PyExc_ValueError, "StatTag: components is a mask of inode=1, size=2, mtime=4");
        return NULL;
    }
    if ((self = (StatTag *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    self->other = Py_NewRef(other);
    self->nginx = nginx;
    self->components = components;
    self->vectorcall = (vectorcallfunc)stat_tag_call;
    return (PyObject *)self;
}

static int stat_tag_traverse(StatTag *self, visitproc visit, void *arg) {
    Py_VISIT(self->cls);
    Py_VISIT(self->other);
    return 0;
}

static int stat_tag_clear(StatTag *self) {
    Py_CLEAR(self->cls);
    Py_CLEAR(self->other);
    return 0;
}

static void stat_tag_dealloc(StatTag *self) {
    PyObject_GC_UnTrack(self);
    stat_tag_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject StatTagType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "etagcore._etag.StatTag",
    .tp_basicsize = sizeof(StatTag),
    .tp_dealloc = (destructor)stat_tag_dealloc,
    .tp_vectorcall_offset = offsetof(StatTag, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "StatTag(etag_class, nginx, components, other): the stat strategy's tag_file(path), in C.",
    .tp_traverse = (traverseproc)stat_tag_traverse,
    .tp_clear = (inquiry)stat_tag_clear,
    .tp_new = stat_tag_new,
};

/* st_mtime_ns / st_ctime_ns as os.stat() gives them; NULL (no error) past int64 nanoseconds. */
static PyObject *nanoseconds(const struct timespec *t) {
    if (t->tv_sec > INT64_MAX / 1000000000 - 1 || t->tv_sec < INT64_MIN / 1000000000 + 1)
        return NULL;
    return PyLong_FromLongLong((long long)t->tv_sec * 1000000000 + t->tv_nsec);
}

/* stat_key(path, number) -> (number, st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns), as
 * files.cache_key() builds from os.stat(path); None when the path is not a regular file (or a
 * time is out of range): the caller takes its slow path, which says why. */
static PyObject *stat_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    struct stat st;
    PyObject *key, *item;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "stat_key(path, number) takes 2 arguments");
        return NULL;
    }
    if (stat_path(args[0], &st) < 0)
        return NULL;
    if (!S_ISREG(st.st_mode) || (key = PyTuple_New(6)) == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    PyTuple_SET_ITEM(key, 0, Py_NewRef(args[1]));
    PyObject *items[5] = {PyLong_FromUnsignedLongLong((unsigned long long)st.st_dev),
                          PyLong_FromUnsignedLongLong((unsigned long long)st.st_ino),
                          PyLong_FromLongLong((long long)st.st_size), nanoseconds(&st.st_mtim),
                          nanoseconds(&st.st_ctim)};
    for (int i = 0; i < 5; i++)
        PyTuple_SET_ITEM(key, i + 1, items[i]); /* a NULL slot is freed as empty */
    for (int i = 0; i < 5; i++) {
        if ((item = items[i]) == NULL) {
            Py_DECREF(key);
            return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
        }
    }
    return key;
}

static PyMethodDef functions[] = {
    {"stat_key", (PyCFunction)(void (*)(void))stat_key, METH_FASTCALL,
     "stat_key(path, number) -> (number, st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) | None"},
    {NULL, NULL, 0, NULL},
};

int etagcore_add_stat(PyObject *m) {
    if (PyType_Ready(&StatTagType) < 0 || PyModule_AddFunctions(m, functions) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "StatTag", (PyObject *)&StatTagType);
}
