/* etagcore._response: ResponseCore, the hot path of etagcore.response.ConditionalResponse
 * (start, feed, finish, whole) in C. Same results as etagcore/_response_py.py, always.
 *
 * Why: on a small page the Python version cost ~4 us a response, mostly frames and attribute
 * stores around ~0.6 us of real work (one header scan, one hash, one precondition check). Here
 * the glue is a few hundred ns. The work itself stays where it is: pick(), the strategy's
 * tag() and the Reply class are the Python-level ones, given to bind() by etagcore.response;
 * preconditions are evaluate_preconditions()'s (preconditions.c); the rare branches (a
 * response's own tag, a 304/412) are the subclass's _own_tag() and _failed().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "ascii.h"
#include "preconditions.h"
#include "response.h"

#define PASS etagcore_PASS
#define BUFFER etagcore_BUFFER
#define FLUSH etagcore_FLUSH

#define LONGEST_LENGTH 18 /* significant digits of a Content-Length read; more is over any max_body */

PyObject *PASS, *BUFFER, *FLUSH, *etagcore_send_all;
static PyObject *REPEATED, *FIELDS, *int_200, *int_412;
#define int_304 etagcore_int_304
static PyObject *reply_class, *pick, *kept_on_304, *dropped_on_412; /* bind() */
static PyObject *str_get, *str_head;
/* The Reply dataclass's slots (status, headers, body, passthrough): set directly, its __init__
 * (which only assigns them) costs more than the rest of a reply. NULL: call the class. */
static PyMemberDef *reply_slots[4];
static PyObject *str_own_tag, *str_failed, *str_islower, *str_lower, *zero_bytes, *zero_str, *str_strategy, *str_max_body, *str_skip, *str_tag, *str_header_bytes;
static PyObject *etag_name_bytes, *etag_name_str, *length_name_bytes, *length_name_str, *etag_names;

enum { OTHER = 0, GET = 1, HEAD = 2, UNKNOWN = 3 }; /* UNKNOWN: not an exact str, compared when needed */


int etagcore_core_traverse(Core *self, visitproc visit, void *arg) {
    Py_VISIT(self->policy);
    Py_VISIT(self->method);
    Py_VISIT(self->request);
    Py_VISIT(self->status);
    Py_VISIT(self->headers);
    Py_VISIT(self->chunks);
    Py_VISIT(self->last_modified);
    Py_VISIT(self->tag);
    Py_VISIT(self->skip);
    return 0;
}

int etagcore_core_clear(Core *self) {
    Py_CLEAR(self->policy);
    Py_CLEAR(self->method);
    Py_CLEAR(self->request);
    Py_CLEAR(self->status);
    Py_CLEAR(self->headers);
    Py_CLEAR(self->chunks);
    Py_CLEAR(self->last_modified);
    Py_CLEAR(self->tag);
    Py_CLEAR(self->skip);
    return 0;
}

static void core_dealloc(Core *self) {
    PyObject_GC_UnTrack(self);
    etagcore_core_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

int etagcore_core_init(Core *self, PyObject *args, PyObject *kwds) {
    static char *keywords[] = {"policy", "method", "request_headers", "binary", NULL};
    PyObject *policy, *method, *request;
    int binary = 0;
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if ((kwds == NULL || PyDict_GET_SIZE(kwds) == 0) && (nargs == 3 || nargs == 4)) { /* the common call */
        policy = PyTuple_GET_ITEM(args, 0);
        method = PyTuple_GET_ITEM(args, 1);
        request = PyTuple_GET_ITEM(args, 2);
        if (nargs == 4 && (binary = PyObject_IsTrue(PyTuple_GET_ITEM(args, 3))) < 0)
            return -1;
    } else if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|p:ConditionalResponse", keywords, &policy, &method,
                                            &request, &binary)) {
        return -1;
    }
    return etagcore_core_setup(self, policy, method, request, binary);
}

int etagcore_core_setup(Core *self, PyObject *policy, PyObject *method, PyObject *request, int binary) {
    Py_XSETREF(self->policy, Py_NewRef(policy));
    Py_XSETREF(self->method, Py_NewRef(method));
    Py_XSETREF(self->request, Py_NewRef(request));
    Py_XSETREF(self->chunks, PyList_New(0));
    if (self->chunks == NULL)
        return -1;
    Py_CLEAR(self->status);
    Py_CLEAR(self->headers);
    Py_CLEAR(self->last_modified);
    Py_CLEAR(self->tag);
    Py_CLEAR(self->skip);
    self->size = 0;
    self->length = -1;
    self->binary = (char)binary;
    self->method_kind = UNKNOWN;
    if (PyUnicode_CheckExact(method)) {
        if (PyUnicode_CompareWithASCIIString(method, "GET") == 0)
            self->method_kind = GET;
        else if (PyUnicode_CompareWithASCIIString(method, "HEAD") == 0)
            self->method_kind = HEAD;
        else
            self->method_kind = OTHER;
    }
    return 0;
}

/* GET, HEAD or OTHER, as == compares the method (a str subclass such as http.HTTPMethod too); -1 on error. */
static int method_of(Core *self) {
    int equal;
    if (self->method_kind != UNKNOWN)
        return self->method_kind;
    if ((equal = PyObject_RichCompareBool(self->method, str_get, Py_EQ)) != 0)
        return equal < 0 ? -1 : GET;
    if ((equal = PyObject_RichCompareBool(self->method, str_head, Py_EQ)) != 0)
        return equal < 0 ? -1 : HEAD;
    return OTHER;
}

/* A field value's bytes (bytes, or a Latin-1 str: start() checked), OWS (space, tab) trimmed. */
static const char *field_text(PyObject *value, Py_ssize_t *len) {
    const char *data;
    if (PyBytes_CheckExact(value)) {
        data = PyBytes_AS_STRING(value);
        *len = PyBytes_GET_SIZE(value);
    } else {
        data = (const char *)PyUnicode_1BYTE_DATA(value);
        *len = PyUnicode_GET_LENGTH(value);
    }
    while (*len > 0 && (data[0] == ' ' || data[0] == '\t'))
        data++, (*len)--;
    while (*len > 0 && (data[*len - 1] == ' ' || data[*len - 1] == '\t'))
        (*len)--;
    return data;
}

/* ASCII case-insensitive equality with the lowercase *want*. */
static int same_text(const char *data, Py_ssize_t len, const char *want) {
    Py_ssize_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (want[i] == '\0' || c != (unsigned char)want[i])
            return 0;
    }
    return want[i] == '\0';
}

static int is_event_stream(const char *data, Py_ssize_t len) {
    const char *semicolon = memchr(data, ';', (size_t)len);
    if (semicolon != NULL)
        len = semicolon - data;
    while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    return same_text(data, len, "text/event-stream");
}

/* The Content-Length in *data*, -1 when it is no 1*DIGIT or over *max_body*. */
static Py_ssize_t content_length(const char *data, Py_ssize_t len, Py_ssize_t max_body) {
    unsigned long long value = 0;
    Py_ssize_t i, significant = 0;
    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        if (data[i] < '0' || data[i] > '9')
            return -1;
        if (significant > 0 || data[i] != '0') {
            if (++significant > LONGEST_LENGTH)
                return -1;
            value = value * 10 + (unsigned long long)(data[i] - '0');
        }
    }
    return value > (unsigned long long)max_body ? -1 : (Py_ssize_t)value;
}

/* The last policy read and what the core needs of it: a middleware has one policy, frozen, so
 * its attributes are read once rather than per response. */
static PyObject *last_policy, *last_tag, *last_skip;
static Py_ssize_t last_max_body;

static int read_policy(Core *self) {
    if (self->policy == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ConditionalResponse.__init__() was not called");
        return -1;
    }
    if (self->tag == NULL) {
        if (self->policy != last_policy) {
            PyObject *strategy, *tag, *skip, *max_body_object;
            Py_ssize_t max_body;
            if ((max_body_object = PyObject_GetAttr(self->policy, str_max_body)) == NULL)
                return -1;
            max_body = PyLong_AsSsize_t(max_body_object);
            Py_DECREF(max_body_object);
            if (max_body == -1 && PyErr_Occurred()) {
                if (!PyErr_ExceptionMatches(PyExc_OverflowError))
                    return -1;
                PyErr_Clear(); /* larger than any body a process holds */
                max_body = PY_SSIZE_T_MAX;
            }
            if ((skip = PyObject_GetAttr(self->policy, str_skip)) == NULL)
                return -1;
            strategy = PyObject_GetAttr(self->policy, str_strategy);
            tag = strategy == NULL ? NULL : PyObject_GetAttr(strategy, str_tag);
            Py_XDECREF(strategy);
            if (tag == NULL) {
                Py_DECREF(skip);
                return -1;
            }
            Py_XSETREF(last_tag, tag);
            Py_XSETREF(last_skip, skip);
            Py_XSETREF(last_policy, Py_NewRef(self->policy));
            last_max_body = max_body;
        }
        self->tag = Py_NewRef(last_tag);
        Py_XSETREF(self->skip, Py_NewRef(last_skip));
        self->max_body = last_max_body;
    }
    return 0;
}

static int not_bound(void) {
    if (reply_class != NULL)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "etagcore._response.bind() was not called");
    return -1;
}

PyObject *etagcore_core_start(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *status, *headers, *found = NULL, *own_tag = NULL, *coding = NULL, *length = NULL, *last_modified = Py_None;
    PyObject *result;
    Py_ssize_t i;
    int is_200, kind;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "start(status, headers)");
        return NULL;
    }
    status = args[0];
    if (PyLong_CheckExact(status)) {
        int overflow;
        is_200 = PyLong_AsLongAndOverflow(status, &overflow) == 200 && !overflow;
    } else if ((is_200 = PyObject_RichCompareBool(status, int_200, Py_EQ)) < 0) {
        return NULL;
    }
    if (!is_200)
        return Py_NewRef(PASS);
    if ((kind = method_of(self)) != GET && kind != HEAD)
        return kind < 0 ? NULL : Py_NewRef(PASS);
    if (not_bound() < 0 || read_policy(self) < 0)
        return NULL;
    headers = PyList_CheckExact(args[1]) ? Py_NewRef(args[1]) : PySequence_List(args[1]);
    if (headers == NULL)
        return NULL;
    {
        PyObject *pick_args[3] = {headers, FIELDS, REPEATED};
        found = PyObject_Vectorcall(pick, pick_args, 3, NULL);
    }
    if (found == NULL)
        goto error;
    if (found != Py_None) {
        const char *text;
        Py_ssize_t len;
        if (!PyList_CheckExact(found) || PyList_GET_SIZE(found) != 6) {
            PyErr_SetString(PyExc_TypeError, "pick() gave no list of six");
            goto error;
        }
        for (i = 0; i < 6; i++) {
            PyObject *value = PyList_GET_ITEM(found, i);
            if (value == REPEATED || (value != Py_None && !PyBytes_CheckExact(value) &&
                                      !(PyUnicode_CheckExact(value) && PyUnicode_KIND(value) == PyUnicode_1BYTE_KIND)))
                goto pass; /* repeated: which line holds is not ours to guess; else a field we cannot read */
        }
        if (PyList_GET_ITEM(found, 5) != Py_None) { /* X-Accel-Buffering: the route asks not to be buffered */
            text = field_text(PyList_GET_ITEM(found, 5), &len);
            if (same_text(text, len, "no"))
                goto pass;
        }
        if (PyList_GET_ITEM(found, 1) != Py_None) {
            text = field_text(PyList_GET_ITEM(found, 1), &len);
            if (is_event_stream(text, len))
                goto pass;
        }
        own_tag = PyList_GET_ITEM(found, 0);
        length = PyList_GET_ITEM(found, 2);
        coding = PyList_GET_ITEM(found, 4);
        last_modified = PyList_GET_ITEM(found, 3);
    }
    if (self->skip != Py_None) {
        PyObject *skip = Py_NewRef(self->skip), *skip_args[2] = {status, headers};
        PyObject *answer = PyObject_Vectorcall(skip, skip_args, 2, NULL);
        Py_DECREF(skip);
        int skipped = answer == NULL ? -1 : PyObject_IsTrue(answer);
        Py_XDECREF(answer);
        if (skipped < 0)
            goto error;
        if (skipped)
            goto pass;
    }
    Py_XSETREF(self->status, Py_NewRef(status));
    Py_XSETREF(self->headers, Py_NewRef(headers));
    Py_XSETREF(self->last_modified, Py_NewRef(last_modified));
    if (own_tag != NULL && own_tag != Py_None) {
        result = PyObject_CallMethodObjArgs((PyObject *)self, str_own_tag, own_tag, coding, NULL);
        goto done;
    }
    self->length = -1;
    if (length != NULL && length != Py_None) {
        Py_ssize_t len;
        const char *text = field_text(length, &len);
        if ((self->length = content_length(text, len, self->max_body)) < 0)
            goto pass;
    }
    result = Py_NewRef(BUFFER);
    goto done;
pass:
    result = Py_NewRef(PASS);
done:
    Py_DECREF(found);
    Py_DECREF(headers);
    return result;
error:
    Py_XDECREF(found);
    Py_DECREF(headers);
    return NULL;
}

PyObject *etagcore_core_feed(Core *self, PyObject *chunk) {
    Py_ssize_t len;
    if (self->chunks == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "feed() before start()");
        return NULL;
    }
    if (not_bound() < 0 || read_policy(self) < 0)
        return NULL;
    if (PyBytes_CheckExact(chunk)) {
        len = PyBytes_GET_SIZE(chunk);
        if (PyList_Append(self->chunks, chunk) < 0)
            return NULL;
    } else { /* a copy: the app may reuse its buffer once its send returns (readinto) */
        if (!PyObject_CheckBuffer(chunk)) {
            PyErr_Format(PyExc_TypeError, "a body chunk must be a bytes-like object, not %.100s", Py_TYPE(chunk)->tp_name);
            return NULL;
        }
        PyObject *copy = PyBytes_FromObject(chunk);
        if (copy == NULL)
            return NULL;
        len = PyBytes_GET_SIZE(copy);
        int failed = PyList_Append(self->chunks, copy) < 0;
        Py_DECREF(copy);
        if (failed)
            return NULL;
    }
    self->size += len;
    return Py_NewRef(self->size > self->max_body ? FLUSH : BUFFER);
}

static PyObject *make_reply(PyObject *status, PyObject *headers, PyObject *body) {
    PyObject *reply;
    Py_INCREF(status);
    if (reply_slots[0] != NULL) {
        PyTypeObject *type = (PyTypeObject *)reply_class;
        PyObject *values[4] = {status, headers, body, Py_False};
        if ((reply = type->tp_alloc(type, 0)) != NULL) {
            for (int i = 0; i < 4; i++) {
                if (PyMember_SetOne((char *)reply, reply_slots[i], values[i]) < 0) {
                    Py_CLEAR(reply);
                    break;
                }
            }
        }
    } else {
        PyObject *reply_args[3] = {status, headers, body};
        reply = PyObject_Vectorcall(reply_class, reply_args, 3, NULL);
    }
    Py_DECREF(status);
    return reply;
}

/* Whether an exact bytes or str has a character lower() changes: an ASCII capital, or for a
 * str anything beyond ASCII (checked by lower() itself). */
static int has_upper(PyObject *text) {
    const char *data;
    Py_ssize_t len;
    if (PyBytes_CheckExact(text)) {
        data = PyBytes_AS_STRING(text);
        len = PyBytes_GET_SIZE(text);
    } else if (PyUnicode_IS_ASCII(text)) {
        data = (const char *)PyUnicode_1BYTE_DATA(text);
        len = PyUnicode_GET_LENGTH(text);
    } else {
        return 1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (data[i] >= 'A' && data[i] <= 'Z')
            return 1;
    return 0;
}

/* A frozenset of lowercase ASCII names (str and bytes) as C text, for named() without objects.
 * count -1: a member is not lowercase ASCII str or bytes: only the general path decides. */
#define MAX_SET_NAMES 32
typedef struct {
    int count;
    const char *data[MAX_SET_NAMES];
    Py_ssize_t len[MAX_SET_NAMES];
    char is_bytes[MAX_SET_NAMES];
} NameSet;
static NameSet kept_set, dropped_set, etag_set;

/* Fill *set* from *names* (which must stay alive: the texts are its members'). */
static int name_set(NameSet *set, PyObject *names) {
    PyObject *iterator = PyObject_GetIter(names), *member;
    set->count = 0;
    if (iterator == NULL)
        return -1;
    while ((member = PyIter_Next(iterator)) != NULL) {
        int bytes = PyBytes_CheckExact(member), fits = set->count >= 0 && set->count < MAX_SET_NAMES;
        if (fits && (bytes || (PyUnicode_CheckExact(member) && PyUnicode_IS_ASCII(member))) && !has_upper(member)) {
            set->data[set->count] = bytes ? PyBytes_AS_STRING(member) : (const char *)PyUnicode_1BYTE_DATA(member);
            set->len[set->count] = bytes ? PyBytes_GET_SIZE(member) : PyUnicode_GET_LENGTH(member);
            set->is_bytes[set->count++] = (char)bytes;
        } else {
            set->count = -1;
        }
        Py_DECREF(member);
    }
    Py_DECREF(iterator);
    return PyErr_Occurred() ? -1 : 0;
}

/* Whether a str subclass (multidict's istr) hashes, compares and lowers as str does (no
 * instance dict, no attribute hook, str's lower and islower): then
 * "name in names or name.lower() in names" is the ASCII comparison below. The last type found
 * so is remembered with its version tag (which changes when the type is modified). */
static PyObject *plain_str_type;
static unsigned int plain_str_version;

static int behaves_as_str(PyTypeObject *type) {
    if ((PyObject *)type == plain_str_type && type->tp_version_tag == plain_str_version &&
        PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG))
        return 1;
    if (type->tp_hash != PyUnicode_Type.tp_hash || type->tp_richcompare != PyUnicode_Type.tp_richcompare ||
        type->tp_getattro != PyUnicode_Type.tp_getattro || type->tp_dictoffset != 0 || /* no instance lower */
        _PyType_Lookup(type, str_lower) != _PyType_Lookup(&PyUnicode_Type, str_lower) ||
        _PyType_Lookup(type, str_islower) != _PyType_Lookup(&PyUnicode_Type, str_islower))
        return 0;
    if (PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG)) {
        Py_XSETREF(plain_str_type, Py_NewRef((PyObject *)type));
        plain_str_version = type->tp_version_tag;
    }
    return 1;
}

/* named() without objects: 1 or 0, or -1 when only the general path can tell. */
static int named_in_set(PyObject *name, const NameSet *set) {
    const char *data;
    Py_ssize_t len;
    int bytes = PyBytes_CheckExact(name);
    if (set->count < 0)
        return -1;
    if (bytes) {
        data = PyBytes_AS_STRING(name);
        len = PyBytes_GET_SIZE(name);
    } else if (PyUnicode_Check(name) && PyUnicode_IS_ASCII(name) &&
               (PyUnicode_CheckExact(name) || behaves_as_str(Py_TYPE(name)))) {
        data = (const char *)PyUnicode_1BYTE_DATA(name);
        len = PyUnicode_GET_LENGTH(name);
    } else {
        return -1;
    }
    for (int i = 0; i < set->count; i++)
        if (set->is_bytes[i] == bytes && set->len[i] == len && etagcore_same_name(data, set->data[i], len))
            return 1;
    return 0;
}

/* Whether the pair's name is in *names* (lowercase str and bytes; *set* its C text): as is, or lowered. */
static int named(PyObject *pair, PyObject *names, const NameSet *set) {
    PyObject *name, *answer;
    int found;
    if ((PyTuple_CheckExact(pair) || PyList_CheckExact(pair)) && PySequence_Fast_GET_SIZE(pair) > 0 &&
        (found = named_in_set(PySequence_Fast_GET_ITEM(pair, 0), set)) >= 0)
        return found;
    if ((name = PySequence_GetItem(pair, 0)) == NULL)
        return -1;
    found = PySequence_Contains(names, name); /* a name the C text cannot judge: asked as Python does */
    if (found == 0 && (answer = PyObject_CallMethodNoArgs(name, str_islower))) {
        found = PyObject_IsTrue(answer);
        Py_DECREF(answer);
        if (found == 0) {
            PyObject *lowered = PyObject_CallMethodNoArgs(name, str_lower);
            found = lowered == NULL ? -1 : PySequence_Contains(names, lowered);
            Py_XDECREF(lowered);
        } else if (found == 1) {
            found = 0; /* lowercase already, and not in names */
        }
    } else if (found == 0) {
        found = -1; /* islower() failed */
    }
    Py_DECREF(name);
    return found;
}

/* The reply for a failed precondition: 304 with the 200's fields a cache needs, or 412 without
 * validators, caching and content fields, Content-Length 0. */
static PyObject *core_failed(Core *self, PyObject *outcome) {
    PyObject *headers, *kept, *result = NULL;
    int is_304 = outcome == int_304 ? 1 : PyObject_RichCompareBool(outcome, int_304, Py_EQ);
    if (is_304 < 0 || not_bound() < 0)
        return NULL;
    if (self->headers == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_failed() before start()");
        return NULL;
    }
    if ((kept = PyList_New(0)) == NULL)
        return NULL;
    /* by index over a list (what finish() gives is one), each pair held: named() may run Python */
    if ((headers = PySequence_Fast(self->headers, "_failed(): the headers must be iterable")) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(headers); i++) {
        PyObject *pair = Py_NewRef(PySequence_Fast_GET_ITEM(headers, i));
        int inside = named(pair, is_304 ? kept_on_304 : dropped_on_412, is_304 ? &kept_set : &dropped_set);
        int failed = inside < 0 || (inside == is_304 && PyList_Append(kept, pair) < 0);
        Py_DECREF(pair);
        if (failed) {
            Py_DECREF(headers);
            goto done;
        }
    }
    Py_DECREF(headers);
    if (!is_304) {
        PyObject *length = self->binary ? PyTuple_Pack(2, length_name_bytes, zero_bytes)
                                        : PyTuple_Pack(2, length_name_str, zero_str);
        int failed = length == NULL || PyList_Append(kept, length) < 0;
        Py_XDECREF(length);
        if (failed)
            goto done;
    }
    result = make_reply(is_304 ? int_304 : int_412, kept, Py_None);
done:
    Py_DECREF(kept);
    return result;
}

/* finish(); for whole() (*whole* set), the tag's header value in place of a tagged 200's Reply
 * and PASS in place of an untagged one. */
static PyObject *settle(Core *self, int whole) {
    PyObject *status, *headers_now, *chunks, *tag = NULL, *outcome = NULL, *headers = NULL, *pair = NULL, *value = NULL;
    PyObject *result = NULL;
    Py_ssize_t size = self->size, length = self->length;
    int head;
    if (not_bound() < 0 || read_policy(self) < 0 || (head = method_of(self)) < 0)
        return NULL;
    head = head == HEAD;
    if (self->headers == NULL || self->chunks == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "finish() before start()");
        return NULL;
    }
    /* held: the strategy and the precondition functions run Python code, which may change them */
    status = Py_NewRef(self->status ? self->status : Py_None);
    headers_now = Py_NewRef(self->headers);
    chunks = Py_NewRef(self->chunks);
    if (length >= 0 && length != size) {
        result = whole ? Py_NewRef(PASS) : make_reply(status, headers_now, chunks); /* not the body it says: no tag */
        goto done;
    }
    if (head && (size == 0) != (length == 0)) {
        result = whole ? Py_NewRef(PASS) : make_reply(status, headers_now, Py_None); /* GET's tag is unknown */
        goto done;
    }
    {
        PyObject *tag_function = Py_NewRef(self->tag);
        tag = PyObject_CallOneArg(tag_function, chunks);
        Py_DECREF(tag_function);
        if (tag == NULL)
            goto done;
    }
    {
        PyObject *method = Py_NewRef(self->method), *request = Py_NewRef(self->request);
        PyObject *last_modified = Py_NewRef(self->last_modified ? self->last_modified : Py_None);
        outcome = etagcore_evaluate(method, request, tag, last_modified, Py_True);
        Py_DECREF(method);
        Py_DECREF(request);
        Py_DECREF(last_modified);
        if (outcome == NULL)
            goto done;
    }
    if ((value = self->binary ? PyObject_CallMethodNoArgs(tag, str_header_bytes) : PyObject_Str(tag)) == NULL)
        goto done;
    if (whole && outcome == Py_None) {
        result = Py_NewRef(value);
        goto done;
    }
    /* a new list: the app's header list may be a constant it sends again */
    if ((headers = PySequence_List(headers_now)) == NULL)
        goto done;
    pair = PyTuple_Pack(2, self->binary ? etag_name_bytes : etag_name_str, value);
    Py_CLEAR(value);
    if (pair == NULL || PyList_Append(headers, pair) < 0)
        goto done;
    Py_CLEAR(pair);
    if (outcome != Py_None) {
        Py_XSETREF(self->headers, Py_NewRef(headers));
        result = PyObject_CallMethodOneArg((PyObject *)self, str_failed, outcome); /* a subclass may answer */
        goto done;
    }
    if (length < 0) {
        char digits[24];
        int len = snprintf(digits, sizeof(digits), "%zd", size);
        value = self->binary ? PyBytes_FromStringAndSize(digits, len) : PyUnicode_DecodeASCII(digits, len, NULL);
        pair = value == NULL ? NULL : PyTuple_Pack(2, self->binary ? length_name_bytes : length_name_str, value);
        Py_CLEAR(value);
        if (pair == NULL || PyList_Append(headers, pair) < 0)
            goto done;
    }
    result = make_reply(status, headers, head ? Py_None : chunks);
done:
    Py_XDECREF(value);
    Py_XDECREF(pair);
    Py_XDECREF(headers);
    Py_XDECREF(outcome);
    Py_XDECREF(tag);
    Py_DECREF(chunks);
    Py_DECREF(headers_now);
    Py_DECREF(status);
    return result;
}

PyObject *etagcore_core_finish(Core *self, PyObject *Py_UNUSED(ignored)) { return settle(self, 0); }

/* The value of the last ETag field of a passthrough Reply (the response's own tag, rewritten by
 * _own_tag), PASS when it has none. */
static PyObject *passthrough_tag(PyObject *reply) {
    PyObject *headers = PyObject_GetAttrString(reply, "headers"), *list, *result = NULL;
    if (headers == NULL)
        return NULL;
    list = PySequence_List(headers);
    Py_DECREF(headers);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = PyList_GET_SIZE(list) - 1; i >= 0; i--) {
        int found = named(PyList_GET_ITEM(list, i), etag_names, &etag_set);
        if (found) {
            result = found < 0 ? NULL : PySequence_GetItem(PyList_GET_ITEM(list, i), 1);
            Py_DECREF(list);
            return result;
        }
    }
    result = Py_NewRef(PASS);
    Py_DECREF(list);
    return result;
}

static PyObject *core_whole(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *action, *fed;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "whole(status, headers, body)");
        return NULL;
    }
    action = etagcore_core_start(self, args, 2);
    if (action == NULL || action == PASS)
        return action;
    if (action != BUFFER) {
        int passthrough = 0;
        if (PyType_Check(reply_class) && PyObject_TypeCheck(action, (PyTypeObject *)reply_class)) {
            PyObject *flag = PyObject_GetAttrString(action, "passthrough");
            passthrough = flag == NULL ? -1 : PyObject_IsTrue(flag);
            Py_XDECREF(flag);
        }
        if (passthrough) { /* its own tag, rewritten: that tag's value (or an error) */
            PyObject *value = passthrough < 0 ? NULL : passthrough_tag(action);
            Py_DECREF(action);
            return value;
        }
        return action;
    }
    Py_DECREF(action);
    fed = etagcore_core_feed(self, args[2]);
    if (fed == NULL)
        return NULL;
    Py_DECREF(fed);
    if (fed == FLUSH)
        return Py_NewRef(PASS);
    return settle(self, 1);
}

static PyObject *core_get_length(Core *self, void *closure) {
    return self->length < 0 ? Py_NewRef(Py_None) : PyLong_FromSsize_t(self->length);
}

static PyMethodDef core_methods[] = {
    {"start", (PyCFunction)(void (*)(void))etagcore_core_start, METH_FASTCALL,
     "start(status, headers) -> PASS | BUFFER | Reply"},
    {"feed", (PyCFunction)etagcore_core_feed, METH_O, "feed(chunk) -> BUFFER | FLUSH"},
    {"finish", (PyCFunction)etagcore_core_finish, METH_NOARGS, "finish() -> Reply"},
    {"_failed", (PyCFunction)core_failed, METH_O, "_failed(outcome) -> the 304 or 412 Reply"},
    {"whole", (PyCFunction)(void (*)(void))core_whole, METH_FASTCALL,
     "whole(status, headers, body) -> PASS | the ETag value to add | Reply"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef core_members[] = {
    {"policy", T_OBJECT, offsetof(Core, policy), READONLY, NULL},
    {"method", T_OBJECT, offsetof(Core, method), READONLY, NULL},
    {"request", T_OBJECT, offsetof(Core, request), READONLY, NULL},
    {"status", T_OBJECT, offsetof(Core, status), 0, NULL},
    {"headers", T_OBJECT, offsetof(Core, headers), 0, NULL},
    {"chunks", T_OBJECT, offsetof(Core, chunks), READONLY, NULL},
    {"size", T_PYSSIZET, offsetof(Core, size), READONLY, NULL},
    {"_binary", T_BOOL, offsetof(Core, binary), READONLY, NULL},
    {"_last_modified", T_OBJECT, offsetof(Core, last_modified), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef core_getset[] = {
    {"_length", (getter)core_get_length, NULL, "the response's Content-Length, None when it has none", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject etagcore_CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "etagcore._response.ResponseCore",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One response's state and the common decisions; see etagcore.response.ConditionalResponse.",
    .tp_traverse = (traverseproc)etagcore_core_traverse,
    .tp_clear = (inquiry)etagcore_core_clear,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_init = (initproc)etagcore_core_init,
    .tp_new = PyType_GenericNew,
    .tp_methods = core_methods,
    .tp_members = core_members,
    .tp_getset = core_getset,
};

static PyObject *bind(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyFrozenSet_CheckExact(args[2]) || !PyFrozenSet_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "bind(reply, pick, kept_on_304: frozenset, dropped_on_412: frozenset, "
                                         "send_all)");
        return NULL;
    }
    Py_XSETREF(kept_on_304, Py_NewRef(args[2]));
    Py_XSETREF(dropped_on_412, Py_NewRef(args[3]));
    if (name_set(&kept_set, kept_on_304) < 0 || name_set(&dropped_set, dropped_on_412) < 0)
        return NULL;
    Py_XSETREF(etagcore_send_all, Py_NewRef(args[4]));
    static const char *slot_names[4] = {"status", "headers", "body", "passthrough"};
    Py_XSETREF(reply_class, Py_NewRef(args[0]));
    Py_XSETREF(pick, Py_NewRef(args[1]));
    reply_slots[0] = NULL;
    if (PyType_Check(reply_class)) {
        PyObject *dict = ((PyTypeObject *)reply_class)->tp_dict;
        PyMemberDef *found[4];
        int i;
        for (i = 0; i < 4; i++) {
            PyObject *descr = PyDict_GetItemString(dict, slot_names[i]);
            if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
                ((PyDescrObject *)descr)->d_type != (PyTypeObject *)reply_class)
                break;
            found[i] = ((PyMemberDescrObject *)descr)->d_member;
        }
        if (i == 4)
            memcpy(reply_slots, found, sizeof(found));
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL,
     "bind(reply, pick, kept_on_304, dropped_on_412, send_all): see _response_py.bind"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "etagcore._response", NULL, -1, methods};

static PyObject *interned(const char *text) { return PyUnicode_InternFromString(text); }

PyMODINIT_FUNC PyInit__response(void) {
    PyObject *m;
    if (PyType_Ready(&etagcore_CoreType) < 0)
        return NULL;
    PASS = interned("pass");
    BUFFER = interned("buffer");
    FLUSH = interned("flush");
    REPEATED = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    int_200 = PyLong_FromLong(200);
    int_412 = PyLong_FromLong(412);
    str_islower = interned("islower");
    str_get = interned("GET");
    str_head = interned("HEAD");
    str_lower = interned("lower");
    zero_bytes = PyBytes_FromString("0");
    zero_str = interned("0");
    FIELDS = Py_BuildValue("(yyyyyy)", "etag", "content-type", "content-length", "last-modified", "content-encoding",
                           "x-accel-buffering");
    str_own_tag = interned("_own_tag");
    str_failed = interned("_failed");
    str_strategy = interned("strategy");
    str_max_body = interned("max_body");
    str_skip = interned("skip");
    str_tag = interned("tag");
    str_header_bytes = interned("header_bytes");
    etag_name_bytes = PyBytes_FromString("etag");
    etag_name_str = interned("ETag");
    length_name_bytes = PyBytes_FromString("content-length");
    length_name_str = interned("Content-Length");
    etag_names = Py_BuildValue("(sy)", "etag", "etag");
    Py_XSETREF(etag_names, etag_names == NULL ? NULL : PyFrozenSet_New(etag_names));
    if (etag_names == NULL || name_set(&etag_set, etag_names) < 0)
        return NULL;
    if (!PASS || !BUFFER || !FLUSH || !REPEATED || !int_200 || !int_412 || !str_islower || !str_get || !str_head || !str_lower ||
        !zero_bytes || !zero_str || !FIELDS || !str_own_tag || !str_failed || !str_strategy ||
        !str_max_body || !str_skip || !str_tag || !str_header_bytes || !etag_name_bytes ||
        !etag_name_str || !length_name_bytes || !length_name_str || !etag_names)
        return NULL;
    if (etagcore_preconditions_init() < 0 || (m = PyModule_Create(&module)) == NULL)
        return NULL;
    if (PyModule_AddFunctions(m, etagcore_precondition_functions) < 0 || etagcore_add_asgi(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "ResponseCore", (PyObject *)&etagcore_CoreType) < 0 || PyModule_AddObjectRef(m, "PASS", PASS) < 0 ||
        PyModule_AddObjectRef(m, "BUFFER", BUFFER) < 0 || PyModule_AddObjectRef(m, "FLUSH", FLUSH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
