/* etagcore._etag: the storage of etagcore.ETag, and a fast constructor for trusted values.
 *
 * Why: a strategy's tag() on a small body is a hash call plus one ETag. In pure Python the ETag
 * (object.__new__ and four slot stores, or a tuple subclass) costs about as much as hashing
 * 100 bytes with xxh3, so it decides the small-body latency. Here the same four slots are a C
 * struct, and _trusted() fills them in one call. etag.py subclasses this type and keeps all the
 * behaviour; a pure-Python base with the same slots stands in when C is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "etag_base.h"
#include "sha1.h"

typedef struct {
    PyObject_HEAD
    PyObject *opaque; /* str, code points 0x00-0xFF, no quotes */
    PyObject *weak;   /* Py_True or Py_False */
    PyObject *text;   /* the header value: "opaque" or W/"opaque" */
    PyObject *latin1; /* text as bytes, filled lazily by ETag.header_bytes(); NULL until then */
} ETagBase;

static void etag_dealloc(ETagBase *self) {
    Py_XDECREF(self->opaque);
    Py_XDECREF(self->weak);
    Py_XDECREF(self->text);
    Py_XDECREF(self->latin1);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* '"' + opaque + '"', with the W/ prefix when weak. */
static PyObject *header_text(PyObject *opaque, int weak) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(opaque), prefix = weak ? 3 : 1;
    PyObject *text = PyUnicode_New(n + prefix + 1, PyUnicode_MAX_CHAR_VALUE(opaque));
    if (text == NULL)
        return NULL;
    if (weak) {
        PyUnicode_WRITE(PyUnicode_KIND(text), PyUnicode_DATA(text), 0, 'W');
        PyUnicode_WRITE(PyUnicode_KIND(text), PyUnicode_DATA(text), 1, '/');
    }
    PyUnicode_WRITE(PyUnicode_KIND(text), PyUnicode_DATA(text), prefix - 1, '"');
    PyUnicode_WRITE(PyUnicode_KIND(text), PyUnicode_DATA(text), prefix + n, '"');
    if (PyUnicode_CopyCharacters(text, prefix, opaque, 0, n) < 0) {
        Py_DECREF(text);
        return NULL;
    }
    return text;
}

PyObject *etagcore_make_etag(PyTypeObject *cls, PyObject *opaque, int weak) {
    ETagBase *self;
    if (!PyUnicode_Check(opaque)) {
        PyErr_Format(PyExc_TypeError, "an ETag opaque value must be str, not %.100s", Py_TYPE(opaque)->tp_name);
        return NULL;
    }
    self = (ETagBase *)cls->tp_alloc(cls, 0);
    if (self == NULL)
        return NULL;
    self->text = header_text(opaque, weak);
    if (self->text == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->opaque = Py_NewRef(opaque);
    self->weak = Py_NewRef(weak ? Py_True : Py_False);
    /* A Python subclass (etag.ETag) is GC-tracked, but a tag holds only str, bool and bytes, so it
     * can never be part of a cycle: untrack it, as CPython does for tuples of atoms. Saves the
     * collector's gen-0 work on every tag (measured: a third of _trusted's cost). Subclasses
     * with a __dict__ or slots of their own could form cycles and stay tracked. */
    if (PyObject_IS_GC((PyObject *)self) && cls->tp_basicsize == sizeof(ETagBase) && cls->tp_dictoffset == 0)
        PyObject_GC_UnTrack(self);
    return (PyObject *)self;
}

/* cls._trusted(opaque, weak): a tag from an opaque value the caller has already validated. */
static PyObject *etag_trusted(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs) {
    int weak;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "_trusted(opaque, weak) takes 2 arguments");
        return NULL;
    }
    weak = PyObject_IsTrue(args[1]);
    return weak < 0 ? NULL : etagcore_make_etag(cls, args[0], weak);
}

static PyMemberDef members[] = {
    {"opaque", T_OBJECT_EX, offsetof(ETagBase, opaque), 0, "The opaque value, without quotes or W/."},
    {"weak", T_OBJECT_EX, offsetof(ETagBase, weak), 0, "True for a weak tag (W/\"...\")."},
    {"_text", T_OBJECT_EX, offsetof(ETagBase, text), 0, NULL},
    {"_latin1", T_OBJECT_EX, offsetof(ETagBase, latin1), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* header_bytes(): the text as Latin-1 bytes, made on first use. In C so that the first call
 * costs no raised-and-caught AttributeError (a fresh tag is matched once per request). */
static PyObject *etag_header_bytes(ETagBase *self, PyObject *Py_UNUSED(ignored)) {
    if (self->text == NULL) { /* a subclass whose __init__ did not run ETag's */
        PyErr_SetString(PyExc_AttributeError, "ETag has no header text");
        return NULL;
    }
    if (self->latin1 == NULL) {
        self->latin1 = PyUnicode_AsLatin1String(self->text);
        if (self->latin1 == NULL)
            return NULL;
    }
    return Py_NewRef(self->latin1);
}

/* str(tag): the header text. In C: the tags of a response are formatted on every request. */
static PyObject *etag_str(ETagBase *self) {
    if (self->text == NULL) {
        PyErr_SetString(PyExc_AttributeError, "ETag has no header text");
        return NULL;
    }
    return Py_NewRef(self->text);
}

static PyMethodDef methods[] = {
    {"_trusted", (PyCFunction)(void (*)(void))etag_trusted, METH_FASTCALL | METH_CLASS,
     "Build a tag from an opaque value already known to be valid."},
    {"header_bytes", (PyCFunction)etag_header_bytes, METH_NOARGS, "The header value as bytes (Latin-1), computed once."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject etagcore_ETagBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "etagcore._etag.ETagBase",
    .tp_basicsize = sizeof(ETagBase),
    .tp_dealloc = (destructor)etag_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Storage of etagcore.ETag: opaque, weak and the header text.",
    .tp_members = members,
    .tp_str = (reprfunc)etag_str,
    .tp_methods = methods,
    .tp_new = PyType_GenericNew,
};

/* OneShotTag(etag_class, oneshot, prototype, weak, other, c_sha1_below=0): a strategy's tag() as
 * one C call. For a bytes, bytearray or memoryview body it returns an etag_class whose opaque
 * text is oneshot(body); when prototype is not None, it is instead h.hexdigest() of
 * h = prototype.copy() after h.update(body) (hashlib: copying a fresh hasher skips OpenSSL 3's
 * per-init fetch). Bytes and bytearray bodies shorter than c_sha1_below bytes are hashed by sha1.c
 * instead (the caller promises the strategy is SHA-1). A list or tuple of one such chunk counts
 * as that chunk; any other body goes to other(body). Saves the Python frames of tag(), which on
 * a 100-byte body cost as much as hashing it with xxh3. */
typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *oneshot, *prototype, *other;
    Py_ssize_t c_sha1_below;
    int weak;
    vectorcallfunc vectorcall;
} OneShotTag;

static PyObject *c_sha1_hexdigest(const char *data, Py_ssize_t len) {
    PyObject *hex = PyUnicode_New(40, 127);
    if (hex != NULL)
        etagcore_sha1_hex((const unsigned char *)data, (size_t)len, (char *)PyUnicode_1BYTE_DATA(hex));
    return hex;
}

static PyObject *str_copy, *str_update, *str_hexdigest; /* interned method names */

static PyObject *copy_update_hexdigest(PyObject *prototype, PyObject *body) {
    PyObject *hasher = PyObject_CallMethodNoArgs(prototype, str_copy), *r, *hex = NULL;
    if (hasher == NULL)
        return NULL;
    r = PyObject_CallMethodOneArg(hasher, str_update, body);
    if (r != NULL) {
        Py_DECREF(r);
        hex = PyObject_CallMethodNoArgs(hasher, str_hexdigest);
    }
    Py_DECREF(hasher);
    return hex;
}

static PyObject *oneshot_call(OneShotTag *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyObject *body, *opaque, *tag;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "tag() takes exactly one positional argument (the body)");
        return NULL;
    }
    body = args[0];
    /* a list or tuple of one chunk (a small page written at once) is that chunk's body */
    if ((PyList_CheckExact(body) || PyTuple_CheckExact(body)) && PySequence_Fast_GET_SIZE(body) == 1)
        body = PySequence_Fast_GET_ITEM(body, 0);
    if (!PyBytes_CheckExact(body) && !PyByteArray_CheckExact(body) && !PyMemoryView_Check(body))
        return PyObject_CallOneArg(self->other, args[0]);
    Py_INCREF(body); /* hashing may release the GIL, and another thread may empty the list */
    if (PyBytes_CheckExact(body) && PyBytes_GET_SIZE(body) < self->c_sha1_below)
        opaque = c_sha1_hexdigest(PyBytes_AS_STRING(body), PyBytes_GET_SIZE(body));
    else if (PyByteArray_CheckExact(body) && PyByteArray_GET_SIZE(body) < self->c_sha1_below)
        opaque = c_sha1_hexdigest(PyByteArray_AS_STRING(body), PyByteArray_GET_SIZE(body));
    else if (self->prototype != Py_None)
        opaque = copy_update_hexdigest(self->prototype, body);
    else
        opaque = PyObject_CallOneArg(self->oneshot, body);
    Py_DECREF(body);
    if (opaque == NULL)
        return NULL;
    tag = etagcore_make_etag(self->cls, opaque, self->weak);
    Py_DECREF(opaque);
    return tag;
}

static PyObject *oneshot_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    OneShotTag *self;
    PyObject *cls, *oneshot, *prototype, *other;
    Py_ssize_t c_sha1_below = 0;
    int weak;
    static char *names[] = {"etag_class", "oneshot", "prototype", "weak", "other", "c_sha1_below", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOpO|n:OneShotTag", names, &PyType_Type, &cls, &oneshot,
                                     &prototype, &weak, &other, &c_sha1_below))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)cls, &etagcore_ETagBaseType)) {
        PyErr_SetString(PyExc_TypeError, "OneShotTag: etag_class must be a subclass of ETagBase");
        return NULL;
    }
    self = (OneShotTag *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    self->oneshot = Py_NewRef(oneshot);
    self->prototype = Py_NewRef(prototype);
    self->other = Py_NewRef(other);
    self->c_sha1_below = c_sha1_below;
    self->weak = weak;
    self->vectorcall = (vectorcallfunc)oneshot_call;
    return (PyObject *)self;
}

static int oneshot_traverse(OneShotTag *self, visitproc visit, void *arg) {
    Py_VISIT(self->cls);
    Py_VISIT(self->oneshot);
    Py_VISIT(self->prototype);
    Py_VISIT(self->other);
    return 0;
}

static int oneshot_clear(OneShotTag *self) {
    Py_CLEAR(self->cls);
    Py_CLEAR(self->oneshot);
    Py_CLEAR(self->prototype);
    Py_CLEAR(self->other);
    return 0;
}

static void oneshot_dealloc(OneShotTag *self) {
    PyObject_GC_UnTrack(self);
    oneshot_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject OneShotTagType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "etagcore._etag.OneShotTag",
    .tp_basicsize = sizeof(OneShotTag),
    .tp_dealloc = (destructor)oneshot_dealloc,
    .tp_vectorcall_offset = offsetof(OneShotTag, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "OneShotTag(etag_class, oneshot, prototype, weak, other, c_sha1_below=0): tag(body) for hash strategies, in C.",
    .tp_traverse = (traverseproc)oneshot_traverse,
    .tp_clear = (inquiry)oneshot_clear,
    .tp_new = oneshot_new,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "etagcore._etag", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__etag(void) {
    PyObject *m;
    str_copy = PyUnicode_InternFromString("copy");
    str_update = PyUnicode_InternFromString("update");
    str_hexdigest = PyUnicode_InternFromString("hexdigest");
    if (str_copy == NULL || str_update == NULL || str_hexdigest == NULL)
        return NULL;
    if (PyType_Ready(&etagcore_ETagBaseType) < 0 || PyType_Ready(&OneShotTagType) < 0)
        return NULL;
    m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddObjectRef(m, "ETagBase", (PyObject *)&etagcore_ETagBaseType) < 0 ||
                      PyModule_AddObjectRef(m, "OneShotTag", (PyObject *)&OneShotTagType) < 0 ||
                      etagcore_add_stat(m) < 0 || etagcore_add_pages(m) < 0))
        Py_CLEAR(m);
    return m;
}
