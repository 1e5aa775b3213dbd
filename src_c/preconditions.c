/* etagcore.evaluate_preconditions in C (part of etagcore._response), and the same decision for
 * the conditional-response core (response.c). Same results as the Python reference in
 * etagcore/conditional.py, always: the rules stay there (decide(), read_conditions()); here are
 * only the common cases, read without a Python frame:
 *
 * - the four precondition fields read from ASGI pairs (pick()), a WSGI environ or a Tornado
 *   HTTPHeaders (four dict lookups), Starlette's Headers (its pairs); anything else is read by
 *   read_conditions();
 * - no field at all: go ahead (None);
 * - the usual revalidation (If-None-Match exactly the current tag's text, no If-Match nor
 *   If-Unmodified-Since) on a GET or HEAD: 304;
 * - anything else: decide().
 *
 * Why: a request without conditions cost ~1 us through the Python frames, around ~50 ns of work.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "preconditions.h"

#if PY_VERSION_HEX >= 0x030D0000
#define lookup_attr PyObject_GetOptionalAttr
#else
#define lookup_attr _PyObject_LookupAttr /* 1 found, 0 absent (no AttributeError raised), -1 error */
#endif

/* bind_preconditions() */
static PyObject *read_conditions, *decide, *pick, *conditional_fields, *environ_fields, *ignoring_methods, *etag_class;
static PyObject *canonical_names;         /* ("If-Match", "If-None-Match", ...): Tornado's keys */
static PyObject *str_wsgi_version, *str_request_method, *str_as_list, *str_raw, *str_header_bytes, *str_get, *str_head;
static PyMethodDef evaluate_def;
static char *evaluate_doc;

static int not_bound(void) {
    if (decide != NULL)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "etagcore._response.bind_preconditions() was not called");
    return -1;
}

/* The four fields by these keys of an exact dict: a tuple, or None when all are absent. Each
 * value is owned as soon as it is found: a later lookup may run code that changes the dict. */
static PyObject *four_lookups(PyObject *dict, PyObject *keys) {
    PyObject *found[4] = {NULL, NULL, NULL, NULL}, *fields;
    int any = 0, i;
    for (i = 0; i < 4; i++) {
        found[i] = PyDict_GetItemWithError(dict, PyTuple_GET_ITEM(keys, i));
        if (found[i] == NULL && PyErr_Occurred())
            goto error;
        Py_XINCREF(found[i]);
        any |= found[i] != NULL;
    }
    if (!any)
        return Py_NewRef(Py_None);
    if ((fields = PyTuple_New(4)) == NULL)
        goto error;
    for (i = 0; i < 4; i++)
        PyTuple_SET_ITEM(fields, i, found[i] ? found[i] : Py_NewRef(Py_None));
    return fields;
error:
    for (i = 0; i < 4; i++)
        Py_XDECREF(found[i]);
    return NULL;
}

static PyObject *call_pick(PyObject *pairs) {
    PyObject *args[2] = {pairs, conditional_fields};
    return PyObject_Vectorcall(pick, args, 2, NULL);
}

/* read_conditions(headers): the four fields, or None when there are none. */
static PyObject *read_fields(PyObject *headers) {
    PyObject *attribute;
    int found;
    if (PyList_CheckExact(headers) || PyTuple_CheckExact(headers))
        return call_pick(headers);
    if (PyDict_CheckExact(headers)) {
        int environ = PyDict_Contains(headers, str_wsgi_version);
        if (environ == 0)
            environ = PyDict_Contains(headers, str_request_method);
        if (environ < 0)
            return NULL;
        return environ ? four_lookups(headers, environ_fields) : call_pick(headers);
    }
    if ((found = lookup_attr(headers, str_as_list, &attribute)) < 0) /* Tornado's HTTPHeaders */
        return NULL;
    if (found && PyDict_CheckExact(attribute)) {
        PyObject *fields = four_lookups(attribute, canonical_names);
        Py_DECREF(attribute);
        return fields;
    }
    Py_XDECREF(attribute);
    if ((found = lookup_attr(headers, str_raw, &attribute)) < 0) /* Starlette's Headers */
        return NULL;
    if (found && PyList_CheckExact(attribute)) {
        PyObject *fields = call_pick(attribute);
        Py_DECREF(attribute);
        return fields;
    }
    Py_XDECREF(attribute);
    return PyObject_CallOneArg(read_conditions, headers);
}

/* Whether exact ASCII str *text* is one entity-tag as sent: W/"..." or "...", etagc inside. */
static int is_entity_tag(PyObject *text) {
    const char *data = (const char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), i = 0;
    if (len >= 2 && data[0] == 'W' && data[1] == '/')
        i = 2;
    if (len - i < 2 || data[i] != '"' || data[len - 1] != '"')
        return 0;
    for (i++; i < len - 1; i++)
        if (data[i] < 0x21 || data[i] == '"' || data[i] == 0x7f)
            return 0;
    return 1;
}

/* The usual revalidation: no If-Match nor If-Unmodified-Since, and an If-None-Match of one line
 * that is exactly the current tag's text (an ETag of etagcore's class, or an ASCII str that is one
 * entity-tag). 0 for anything else: decide() answers. */
static int revalidates(PyObject *fields, PyObject *tag) {
    PyObject *line, *current;
    const char *data;
    Py_ssize_t len;
    int same;
    if (!(PyList_CheckExact(fields) || PyTuple_CheckExact(fields)) || PySequence_Fast_GET_SIZE(fields) != 4 ||
        PySequence_Fast_GET_ITEM(fields, 0) != Py_None || PySequence_Fast_GET_ITEM(fields, 3) != Py_None)
        return 0;
    line = PySequence_Fast_GET_ITEM(fields, 1);
    if (PyList_CheckExact(line) && PyList_GET_SIZE(line) == 1)
        line = PyList_GET_ITEM(line, 0);
    if (PyBytes_CheckExact(line)) {
        data = PyBytes_AS_STRING(line);
        len = PyBytes_GET_SIZE(line);
    } else if (PyUnicode_CheckExact(line) && PyUnicode_IS_ASCII(line)) {
        data = (const char *)PyUnicode_1BYTE_DATA(line);
        len = PyUnicode_GET_LENGTH(line);
    } else {
        return 0;
    }
    if (PyUnicode_CheckExact(tag)) {
        return PyUnicode_IS_ASCII(tag) && PyUnicode_GET_LENGTH(tag) == len &&
               memcmp(PyUnicode_1BYTE_DATA(tag), data, (size_t)len) == 0 && is_entity_tag(tag);
    }
    if (!Py_IS_TYPE(tag, (PyTypeObject *)etag_class))
        return 0;
    Py_INCREF(line); /* header_bytes() runs code: keep data alive */
    if ((current = PyObject_CallMethodNoArgs(tag, str_header_bytes)) == NULL || !PyBytes_CheckExact(current)) {
        PyErr_Clear(); /* decide() reports what is wrong with the tag */
        Py_XDECREF(current);
        Py_DECREF(line);
        return 0;
    }
    same = PyBytes_GET_SIZE(current) == len && memcmp(PyBytes_AS_STRING(current), data, (size_t)len) == 0;
    Py_DECREF(current);
    Py_DECREF(line);
    return same;
}

/* Whether *method* is exactly the str "GET" or "HEAD" (a subclass goes to decide()). */
static int is_get_or_head(PyObject *method) {
    return PyUnicode_CheckExact(method) &&
           (PyUnicode_Compare(method, str_get) == 0 || PyUnicode_Compare(method, str_head) == 0);
}

PyObject *etagcore_evaluate(PyObject *method, PyObject *headers, PyObject *etag, PyObject *last_modified,
                            PyObject *exists) {
    PyObject *fields, *outcome;
    int ignored, present;
    if (not_bound() < 0)
        return NULL;
    if ((ignored = PySet_Contains(ignoring_methods, method)) != 0)
        return ignored < 0 ? NULL : Py_NewRef(Py_None);
    Py_INCREF(headers); /* read_fields() may run code that drops the caller's reference */
    fields = read_fields(headers);
    Py_DECREF(headers);
    if (fields == NULL || fields == Py_None)
        return fields;
    if ((present = PyObject_IsTrue(exists)) < 0) {
        Py_DECREF(fields);
        return NULL;
    }
    if (present && is_get_or_head(method) && revalidates(fields, etag)) {
        Py_DECREF(fields);
        return Py_NewRef(etagcore_int_304);
    }
    PyObject *args[5] = {method, fields, etag, last_modified, exists};
    outcome = PyObject_Vectorcall(decide, args, 5, NULL);
    Py_DECREF(fields);
    return outcome;
}

/* evaluate_preconditions(method, headers, *, etag=None, last_modified=None, exists=True) */
static const char *const evaluate_keywords[5] = {"method", "headers", "etag", "last_modified", "exists"};
static PyObject *keyword_names[5]; /* the same, interned */

static PyObject *evaluate(PyObject *module, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyObject *given[5] = {NULL, NULL, Py_None, Py_None, Py_True};
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "evaluate_preconditions() takes 2 positional arguments but %zd were given",
                     nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        given[i] = args[i];
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int i;
        for (i = 0; i < 5 && name != keyword_names[i]; i++) /* a call site's names are interned */
            ;
        for (int j = 0; i == 5 && j < 5; j++)
            if (PyUnicode_CompareWithASCIIString(name, evaluate_keywords[j]) == 0)
                i = j;
        if (i == 5) {
            PyErr_Format(PyExc_TypeError, "evaluate_preconditions() got an unexpected keyword argument '%U'", name);
            return NULL;
        }
        if (i < nargs) {
            PyErr_Format(PyExc_TypeError, "evaluate_preconditions() got multiple values for argument '%U'", name);
            return NULL;
        }
        given[i] = args[nargs + k];
    }
    if (given[0] == NULL || given[1] == NULL) {
        PyErr_Format(PyExc_TypeError, "evaluate_preconditions() missing 1 required positional argument: '%s'",
                     given[0] == NULL ? "method" : "headers");
        return NULL;
    }
    return etagcore_evaluate(given[0], given[1], given[2], given[3], given[4]);
}

/* bind_preconditions(reference, read_conditions, decide, pick, conditional_fields, environ_fields,
 * ignoring_methods, etag_class) -> evaluate_preconditions, with the reference's name and docs. */
static PyObject *bind_preconditions(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *doc, *text;
    if (nargs != 8 || !PyTuple_CheckExact(args[4]) || PyTuple_GET_SIZE(args[4]) != 4 || !PyTuple_CheckExact(args[5]) ||
        PyTuple_GET_SIZE(args[5]) != 4 || !PyFrozenSet_CheckExact(args[6]) || !PyType_Check(args[7])) {
        PyErr_SetString(PyExc_TypeError, "bind_preconditions(reference, read_conditions, decide, pick, "
                                         "conditional_fields: 4-tuple, environ_fields: 4-tuple, "
                                         "ignoring_methods: frozenset, etag_class: type)");
        return NULL;
    }
    Py_XSETREF(read_conditions, Py_NewRef(args[1]));
    Py_XSETREF(decide, Py_NewRef(args[2]));
    Py_XSETREF(pick, Py_NewRef(args[3]));
    Py_XSETREF(conditional_fields, Py_NewRef(args[4]));
    Py_XSETREF(environ_fields, Py_NewRef(args[5]));
    Py_XSETREF(ignoring_methods, Py_NewRef(args[6]));
    Py_XSETREF(etag_class, Py_NewRef(args[7]));
    /* The reference's docstring, after a text signature inspect.signature() reads. */
    if (evaluate_doc == NULL) {
        const char *signature = "evaluate_preconditions(method, headers, *, etag=None, last_modified=None, "
                                "exists=True)\n--\n\n";
        if ((doc = PyObject_GetAttrString(args[0], "__doc__")) == NULL)
            return NULL;
        text = PyUnicode_Check(doc) ? PyUnicode_FromFormat("%s%U", signature, doc) : PyUnicode_FromString(signature);
        Py_DECREF(doc);
        const char *utf8 = text == NULL ? NULL : PyUnicode_AsUTF8(text);
        if (utf8 == NULL || (evaluate_doc = PyMem_RawMalloc(strlen(utf8) + 1)) == NULL) {
            Py_XDECREF(text);
            return utf8 == NULL ? NULL : PyErr_NoMemory();
        }
        strcpy(evaluate_doc, utf8);
        Py_DECREF(text);
        evaluate_def.ml_doc = evaluate_doc;
    }
    PyObject *module_name = PyObject_GetAttrString(args[0], "__module__"), *function;
    if (module_name == NULL)
        return NULL;
    function = PyCFunction_NewEx(&evaluate_def, NULL, module_name);
    Py_DECREF(module_name);
    return function;
}

static PyMethodDef evaluate_def = {"evaluate_preconditions", (PyCFunction)(void (*)(void))evaluate,
                                   METH_FASTCALL | METH_KEYWORDS, NULL};

PyMethodDef etagcore_precondition_functions[] = {
    {"bind_preconditions", (PyCFunction)(void (*)(void))bind_preconditions, METH_FASTCALL,
     "bind_preconditions(reference, read_conditions, decide, pick, conditional_fields, environ_fields, "
     "ignoring_methods, etag_class) -> evaluate_preconditions: see etagcore/conditional.py"},
    {NULL, NULL, 0, NULL},
};

PyObject *etagcore_int_304;

int etagcore_preconditions_init(void) {
    etagcore_int_304 = PyLong_FromLong(304);
    str_wsgi_version = PyUnicode_InternFromString("wsgi.version");
    str_request_method = PyUnicode_InternFromString("REQUEST_METHOD");
    str_as_list = PyUnicode_InternFromString("_as_list");
    str_raw = PyUnicode_InternFromString("raw");
    str_header_bytes = PyUnicode_InternFromString("header_bytes");
    str_get = PyUnicode_InternFromString("GET");
    str_head = PyUnicode_InternFromString("HEAD");
    for (int i = 0; i < 5; i++)
        if ((keyword_names[i] = PyUnicode_InternFromString(evaluate_keywords[i])) == NULL)
            return -1;
    canonical_names = Py_BuildValue("(ssss)", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since");
    if (!str_wsgi_version || !str_request_method || !str_as_list || !str_raw || !str_header_bytes || !str_get ||
        !str_head || !canonical_names || !etagcore_int_304)
        return -1;
    return 0;
}
