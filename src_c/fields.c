/* etagcore._fields: pick a few fields out of a request's or response's headers in one pass.
 *
 * Why the CPython C API and not cffi: the work is walking Python objects (a list of ASGI or WSGI
 * (name, value) pairs, or a dict). In Python that loop costs 60-100 ns a header; a request with
 * ten headers and no conditional field spent most of evaluate_preconditions() there. Here a
 * header whose name has no wanted length costs a few ns, and names are compared without
 * lowering (no new objects). Same results as etagcore/_fields_py.py for up to 16 distinct
 * wanted names (lowercase bytes, as every caller passes); header names are compared by their
 * ASCII text, so a str subclass's own lower() or isascii() is not asked (the reference asks it).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ascii.h"

#define MAX_NAMES 16

/* The name's bytes when it is bytes or an ASCII str; NULL (no error) for anything else. */
static const char *name_bytes(PyObject *name, Py_ssize_t *len) {
    if (PyBytes_Check(name)) {
        *len = PyBytes_GET_SIZE(name);
        return PyBytes_AS_STRING(name);
    }
    if (PyUnicode_Check(name) && PyUnicode_IS_ASCII(name)) {
        *len = PyUnicode_GET_LENGTH(name);
        return (const char *)PyUnicode_1BYTE_DATA(name);
    }
    return NULL;
}

typedef struct {
    Py_ssize_t count;
    const char *data[MAX_NAMES];
    Py_ssize_t len[MAX_NAMES];
    unsigned long long lengths; /* bit n: a wanted name is n bytes long (n < 64) */
} Wanted;

/* Record *value* under field *index*: the value itself, or once the field repeats a list of its
 * lines (the lines seen so far, spread when they are a list, then this one). *owned* has bit
 * *index* set once that list is ours, so later lines are appended: linear in the lines. */
static int record(PyObject *found, Py_ssize_t index, PyObject *value, unsigned *owned) {
    PyObject *seen = PyList_GET_ITEM(found, index), *lines;
    if (seen == Py_None) {
        PyList_SET_ITEM(found, index, Py_NewRef(value));
        Py_DECREF(seen);
        return 0;
    }
    if (*owned & (1u << index))
        return PyList_Append(seen, value);
    if (PyList_CheckExact(seen))
        lines = PyList_GetSlice(seen, 0, PyList_GET_SIZE(seen));
    else if ((lines = PyList_New(1)) != NULL)
        PyList_SET_ITEM(lines, 0, Py_NewRef(seen));
    if (lines == NULL || PyList_Append(lines, value) < 0) {
        Py_XDECREF(lines);
        return -1;
    }
    PyList_SET_ITEM(found, index, lines);
    Py_DECREF(seen);
    *owned |= 1u << index;
    return 0;
}

/* Match one (name, value); *found* is created on the first hit. A repeated field's slot becomes
 * *repeated* when that is not NULL, else the list of its values. */
static int consider(const Wanted *wanted, PyObject *name, PyObject *value, PyObject **found, PyObject *repeated,
                    unsigned *owned) {
    Py_ssize_t len, i;
    const char *key;
    if (PyBytes_Check(name)) {
        len = PyBytes_GET_SIZE(name);
    } else if (PyUnicode_Check(name)) {
        len = PyUnicode_GET_LENGTH(name);
    } else {
        PyErr_Format(PyExc_TypeError, "header names must be str or bytes, not %.100s", Py_TYPE(name)->tp_name);
        return -1;
    }
    if (len < 64 && !((wanted->lengths >> len) & 1))
        return 0; /* no wanted name this long: most headers end here */
    if ((key = name_bytes(name, &len)) == NULL)
        return 0; /* a non-ASCII str name is none of ours */
    for (i = 0; i < wanted->count; i++) {
        if (wanted->len[i] != len || !etagcore_same_name(key, wanted->data[i], len))
            continue;
        if (*found == NULL) {
            *found = PyList_New(wanted->count);
            if (*found == NULL)
                return -1;
            for (Py_ssize_t j = 0; j < wanted->count; j++)
                PyList_SET_ITEM(*found, j, Py_NewRef(Py_None));
        }
        if (repeated != NULL && PyList_GET_ITEM(*found, i) != Py_None) {
            PyObject *seen = PyList_GET_ITEM(*found, i);
            PyList_SET_ITEM(*found, i, Py_NewRef(repeated));
            Py_DECREF(seen);
            return 0;
        }
        return record(*found, i, value, owned);
    }
    return 0;
}

static int pair_items(PyObject *pair, PyObject **name, PyObject **value) {
    if ((PyTuple_CheckExact(pair) || PyList_CheckExact(pair)) && PySequence_Fast_GET_SIZE(pair) == 2) {
        *name = PySequence_Fast_GET_ITEM(pair, 0);
        *value = PySequence_Fast_GET_ITEM(pair, 1);
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "headers must be (name, value) pairs, not %.100s", Py_TYPE(pair)->tp_name);
    return -1;
}

/* pick(headers, names, repeated=None) -> None | list: the values of the fields *names* (a tuple
 * of lowercase ASCII bytes) in *headers* (a dict, or a list or tuple of (name, value) pairs),
 * names compared ASCII case-insensitively. None when none is present; else a list as long as
 * *names*, each item None (absent), the value, or for a repeated field *repeated* when given,
 * else the list of its values in order. */
static PyObject *pick(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *headers, *names, *repeated = NULL, *found = NULL, *name, *value;
    Wanted wanted;
    unsigned owned = 0; /* bit i: found[i] is a list of lines made here */
    Py_ssize_t i;
    if (nargs < 2 || nargs > 3 || !PyTuple_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "pick(headers, names: tuple of bytes, repeated=None)");
        return NULL;
    }
    headers = args[0];
    names = args[1];
    if (nargs == 3 && args[2] != Py_None)
        repeated = args[2];
    wanted.count = PyTuple_GET_SIZE(names);
    wanted.lengths = 0;
    if (wanted.count > MAX_NAMES) {
        PyErr_SetString(PyExc_ValueError, "pick: too many names");
        return NULL;
    }
    for (i = 0; i < wanted.count; i++) {
        PyObject *want = PyTuple_GET_ITEM(names, i);
        if (!PyBytes_CheckExact(want)) {
            PyErr_SetString(PyExc_TypeError, "pick: names must be bytes");
            return NULL;
        }
        wanted.data[i] = PyBytes_AS_STRING(want);
        wanted.len[i] = PyBytes_GET_SIZE(want);
        if (wanted.len[i] < 64) /* longer names are compared with every header name that long */
            wanted.lengths |= 1ull << wanted.len[i];
    }
    if (PyDict_CheckExact(headers)) { /* exact: a subclass may read differently (items()) */
        Py_ssize_t pos = 0;
        int failed = 0;
        while (!failed && PyDict_Next(headers, &pos, &name, &value)) {
            Py_INCREF(name); /* held: an allocation below may collect garbage, running finalizers */
            Py_INCREF(value);
            failed = consider(&wanted, name, value, &found, repeated, &owned) < 0;
            Py_DECREF(name);
            Py_DECREF(value);
        }
        if (failed)
            goto error;
    } else if (PyList_CheckExact(headers) || PyTuple_CheckExact(headers)) {
        for (i = 0; i < PySequence_Fast_GET_SIZE(headers); i++) { /* size re-read: see above */
            PyObject *pair = Py_NewRef(PySequence_Fast_GET_ITEM(headers, i));
            int failed = pair_items(pair, &name, &value) < 0 || consider(&wanted, name, value, &found, repeated, &owned) < 0;
            Py_DECREF(pair);
            if (failed)
                goto error;
        }
    } else {
        PyErr_Format(PyExc_TypeError, "pick: headers must be a dict, list or tuple (exactly), not %.100s",
                     Py_TYPE(headers)->tp_name);
        return NULL;
    }
    if (found == NULL)
        Py_RETURN_NONE;
    return found;
error:
    Py_XDECREF(found);
    return NULL;
}

static PyMethodDef methods[] = {
    {"pick", (PyCFunction)(void (*)(void))pick, METH_FASTCALL,
     "pick(headers, names, repeated=None) -> None | list: the values of the fields *names* (lowercase bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "etagcore._fields", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fields(void) { return PyModule_Create(&module); }
