/* etagcore._response.AsgiResponse: a ResponseCore fed by an ASGI app. send_message(message) is
 * the send() the app is given: it feeds the app's messages to the core in order and returns
 * what the app awaits: the server's send() of what goes out now, READY when nothing does, or
 * send_all() (a coroutine, etagcore/_response_py.py) of several messages. Same results as the
 * pure-Python AsgiResponse there, always.
 *
 * Why: the ASGI middleware's cost on a small page was mostly two coroutine frames of Python
 * around the core's calls; a plain function returning the server's own awaitable has none.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <structmember.h>

#include "response.h"

enum { START, BUFFERING, STREAMING, DROPPING, DONE }; /* what the response is doing */

typedef struct {
    Core core;
    PyObject *send, *held_start;
    int state;
} Asgi;

static PyObject *READY;
static PyObject *str_type, *str_body, *str_more_body, *str_headers, *str_status, *str_trailers, *str_get;
static PyObject *str_passthrough, *str_join, *type_start, *type_body, *empty_bytes;

/* --- READY: awaits as done at once. A coroutine by collections.abc.Coroutine (send, throw,
 * close), so that asyncio.create_task(send(message)) and anyio's start_soon take it too. --- */

static PyObject *ready_await(PyObject *self) { return Py_NewRef(self); }
static PyObject *ready_next(PyObject *self) { return NULL; /* StopIteration(None) */ }

static PyObject *ready_send(PyObject *self, PyObject *value) {
    PyErr_SetNone(PyExc_StopIteration);
    return NULL;
}

/* throw(exception) or throw(type[, value[, traceback]]): raised here, where the awaiting stands */
static PyObject *ready_throw(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw expected 1 to 3 arguments");
        return NULL;
    }
    if (PyExceptionInstance_Check(args[0]))
        PyErr_SetObject((PyObject *)Py_TYPE(args[0]), args[0]);
    else if (PyExceptionClass_Check(args[0]))
        PyErr_SetObject(args[0], nargs > 1 ? args[1] : Py_None);
    else
        PyErr_SetString(PyExc_TypeError, "exceptions must be classes or instances deriving from BaseException");
    return NULL;
}

static PyObject *ready_close(PyObject *self, PyObject *Py_UNUSED(ignored)) { Py_RETURN_NONE; }

static PyMethodDef ready_methods[] = {
    {"send", (PyCFunction)ready_send, METH_O, "send(value): done at once (StopIteration)"},
    {"throw", (PyCFunction)(void (*)(void))ready_throw, METH_FASTCALL, "throw(exception): raises it"},
    {"close", (PyCFunction)ready_close, METH_NOARGS, "close(): nothing to close"},
    {NULL, NULL, 0, NULL},
};

static PyAsyncMethods ready_async = {.am_await = ready_await};

static PyTypeObject ReadyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "etagcore._response.Ready",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Awaits as done at once.",
    .tp_as_async = &ready_async,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = ready_next,
    .tp_methods = ready_methods,
};

/* --- helpers, each as the Python expression in the comment --- */

/* message.get(key, fallback) */
static PyObject *get(PyObject *message, PyObject *key, PyObject *fallback) {
    if (PyDict_CheckExact(message)) {
        PyObject *value = PyDict_GetItemWithError(message, key);
        if (value != NULL)
            return Py_NewRef(value);
        return PyErr_Occurred() ? NULL : Py_NewRef(fallback);
    }
    return PyObject_CallMethodObjArgs(message, str_get, key, fallback, NULL);
}

/* message["type"] != want: 1, 0, or -1 on error */
static int type_is_not(PyObject *message, PyObject *want) {
    PyObject *type = PyObject_GetItem(message, str_type);
    int differs = type == NULL ? -1 : PyObject_RichCompareBool(type, want, Py_NE);
    Py_XDECREF(type);
    return differs;
}

/* {**message, "headers": headers} */
static PyObject *with_headers(PyObject *message, PyObject *headers) {
    PyObject *copy = PyDict_New();
    if (copy == NULL)
        return NULL;
    if (PyDict_Update(copy, message) < 0) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "'%.200s' object is not a mapping", Py_TYPE(message)->tp_name);
        }
        Py_DECREF(copy);
        return NULL;
    }
    if (PyDict_SetItem(copy, str_headers, headers) < 0)
        Py_CLEAR(copy);
    return copy;
}

/* {"type": type, key: value[, "more_body": more_body]} */
static PyObject *message_of(PyObject *type, PyObject *key, PyObject *value, PyObject *more_body) {
    PyObject *message = PyDict_New();
    if (message == NULL)
        return NULL;
    if (PyDict_SetItem(message, str_type, type) < 0 || PyDict_SetItem(message, key, value) < 0 ||
        (more_body != NULL && PyDict_SetItem(message, str_more_body, more_body) < 0))
        Py_CLEAR(message);
    return message;
}

/* {"type": "http.response.start", "status": status, "headers": headers} */
static PyObject *start_message(PyObject *status, PyObject *headers) {
    PyObject *message = message_of(type_start, str_status, status, NULL);
    if (message != NULL && PyDict_SetItem(message, str_headers, headers) < 0)
        Py_CLEAR(message);
    return message;
}

/* {"type": "http.response.body", "body": (body[0] if len(body) == 1 else b"".join(body)) if body else b""},
 * b"".join(body) alone when *join_only* */
static PyObject *body_message(PyObject *body, int join_only) {
    PyObject *data, *message;
    int full = PyObject_IsTrue(body);
    if (full < 0)
        return NULL;
    if (!full) {
        data = Py_NewRef(empty_bytes);
    } else {
        Py_ssize_t n = join_only ? 0 : PyObject_Size(body);
        if (n < 0)
            return NULL;
        data = n == 1 ? PySequence_GetItem(body, 0) : PyObject_CallMethodOneArg(empty_bytes, str_join, body);
    }
    if (data == NULL)
        return NULL;
    message = message_of(type_body, str_body, data, NULL);
    Py_DECREF(data);
    return message;
}

/* send_all(self.send, messages), the list's reference taken */
static PyObject *send_all(Asgi *self, PyObject *messages) {
    PyObject *result, *args[2] = {self->send, messages};
    if (messages == NULL)
        return NULL;
    result = PyObject_Vectorcall(etagcore_send_all, args, 2, NULL);
    Py_DECREF(messages);
    return result;
}

/* self._flushed(more_body): the held start and the body chunks as they were; streaming from now */
static PyObject *flushed(Asgi *self, PyObject *more_body) {
    if (self->core.chunks == NULL || !PyList_CheckExact(self->core.chunks)) {
        PyErr_SetString(PyExc_RuntimeError, "send_message() before __init__()");
        return NULL;
    }
    PyObject *chunks = Py_NewRef(self->core.chunks), *messages = NULL;
    Py_ssize_t n = PyList_GET_SIZE(chunks);
    int more = PyObject_IsTrue(more_body);
    self->state = STREAMING;
    if (more < 0 || (messages = PyList_New(0)) == NULL || PyList_Append(messages, self->held_start) < 0)
        goto error;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* more_body or i < last: the value of more_body itself when it is true */
        PyObject *flag = more ? more_body : (i < n - 1 ? Py_True : Py_False);
        PyObject *message = message_of(type_body, str_body, PyList_GET_ITEM(chunks, i), flag);
        if (message == NULL || PyList_Append(messages, message) < 0) {
            Py_XDECREF(message);
            goto error;
        }
        Py_DECREF(message);
    }
    if (PyList_SetSlice(chunks, 0, n, NULL) < 0) /* chunks.clear() */
        goto error;
    Py_DECREF(chunks);
    return messages;
error:
    Py_XDECREF(messages);
    Py_DECREF(chunks);
    return NULL;
}

/* --- the states --- */

static PyObject *buffering(Asgi *self, PyObject *message) {
    PyObject *more_body, *body, *fed, *reply, *start = NULL, *status = NULL, *headers = NULL, *messages = NULL;
    int differs = type_is_not(message, type_body), more, same;
    if (differs != 0) { /* pathsend, zerocopy, ...: a body that is not ours to read; send what is held first */
        if (differs < 0 || (messages = flushed(self, Py_True)) == NULL)
            return NULL;
        if (PyList_Append(messages, message) < 0) {
            Py_DECREF(messages);
            return NULL;
        }
        return send_all(self, messages);
    }
    if ((more_body = get(message, str_more_body, Py_False)) == NULL)
        return NULL;
    if ((body = get(message, str_body, empty_bytes)) == NULL) {
        Py_DECREF(more_body);
        return NULL;
    }
    fed = etagcore_core_feed(&self->core, body);
    Py_DECREF(body);
    if (fed == NULL || fed == etagcore_FLUSH) {
        PyObject *result = fed == NULL ? NULL : send_all(self, flushed(self, more_body));
        Py_XDECREF(fed);
        Py_DECREF(more_body);
        return result;
    }
    Py_DECREF(fed);
    more = PyObject_IsTrue(more_body);
    Py_DECREF(more_body);
    if (more != 0)
        return more < 0 ? NULL : Py_NewRef(READY);
    self->state = DONE;
    if ((reply = etagcore_core_finish(&self->core, NULL)) == NULL)
        return NULL;
    if ((status = PyObject_GetAttr(reply, str_status)) == NULL || (headers = PyObject_GetAttr(reply, str_headers)) == NULL ||
        (start = PyObject_GetItem(self->held_start, str_status)) == NULL ||
        (same = PyObject_RichCompareBool(status, start, Py_EQ)) < 0)
        goto done;
    Py_SETREF(start, same ? with_headers(self->held_start, headers) : start_message(status, headers));
    if (start == NULL || (body = PyObject_GetAttr(reply, str_body)) == NULL)
        goto done;
    PyObject *last = body_message(body, 0);
    Py_DECREF(body);
    if (last != NULL)
        messages = PyList_New(2);
    if (messages == NULL) {
        Py_XDECREF(last);
        goto done;
    }
    PyList_SET_ITEM(messages, 0, Py_NewRef(start));
    PyList_SET_ITEM(messages, 1, last);
done:
    Py_XDECREF(start);
    Py_XDECREF(status);
    Py_XDECREF(headers);
    Py_DECREF(reply);
    return messages == NULL ? NULL : send_all(self, messages);
}

static PyObject *starting(Asgi *self, PyObject *message) {
    PyObject *headers, *trailers, *status, *action, *result = NULL;
    int asks_trailers;
    if (PyDict_CheckExact(message) && (headers = PyDict_GetItemWithError(message, str_headers)) != NULL) {
        Py_INCREF(headers); /* message.get("headers", []), the [] made only when it is needed */
    } else {
        PyObject *none_given = PyErr_Occurred() ? NULL : PyList_New(0);
        if (none_given == NULL)
            return NULL;
        headers = get(message, str_headers, none_given);
        Py_DECREF(none_given);
    }
    Py_INCREF(message);
    if (headers != NULL && !PyList_CheckExact(headers)) { /* any iterable is allowed: read it once, keep it */
        Py_SETREF(headers, PySequence_List(headers));
        if (headers != NULL)
            Py_SETREF(message, with_headers(message, headers));
    }
    if (headers == NULL || message == NULL)
        goto done;
    if ((trailers = get(message, str_trailers, Py_None)) == NULL)
        goto done;
    asks_trailers = PyObject_IsTrue(trailers);
    Py_DECREF(trailers);
    if (asks_trailers < 0)
        goto done;
    if (asks_trailers) {
        action = Py_NewRef(etagcore_PASS);
    } else {
        if ((status = PyObject_GetItem(message, str_status)) == NULL)
            goto done;
        PyObject *args[2] = {status, headers};
        action = etagcore_core_start(&self->core, args, 2);
        Py_DECREF(status);
        if (action == NULL)
            goto done;
    }
    if (action == etagcore_BUFFER) {
        Py_XSETREF(self->held_start, Py_NewRef(message));
        self->state = BUFFERING;
        result = Py_NewRef(READY);
    } else if (action == etagcore_PASS) {
        self->state = STREAMING;
        result = PyObject_CallOneArg(self->send, message);
    } else { /* a Reply from the app's own tag */
        PyObject *passthrough = PyObject_GetAttr(action, str_passthrough), *reply_headers;
        int through = passthrough == NULL ? -1 : PyObject_IsTrue(passthrough);
        Py_XDECREF(passthrough);
        if (through < 0 || (reply_headers = PyObject_GetAttr(action, str_headers)) == NULL) {
            Py_DECREF(action);
            goto done;
        }
        if (through) { /* the app's own body under the headers decided here */
            PyObject *sent = with_headers(message, reply_headers);
            self->state = STREAMING;
            result = sent == NULL ? NULL : PyObject_CallOneArg(self->send, sent);
            Py_XDECREF(sent);
        } else { /* a 304/412: the app's body is dropped */
            PyObject *reply_status = PyObject_GetAttr(action, str_status), *body = NULL, *messages = NULL;
            self->state = DROPPING;
            if (reply_status != NULL && (body = PyObject_GetAttr(action, str_body)) != NULL) {
                PyObject *first = start_message(reply_status, reply_headers), *last = body_message(body, 1);
                if (first != NULL && last != NULL && (messages = PyList_New(2)) != NULL) {
                    PyList_SET_ITEM(messages, 0, first);
                    PyList_SET_ITEM(messages, 1, last);
                    first = last = NULL;
                }
                Py_XDECREF(first);
                Py_XDECREF(last);
            }
            Py_XDECREF(reply_status);
            Py_XDECREF(body);
            result = messages == NULL ? NULL : send_all(self, messages);
        }
        Py_DECREF(reply_headers);
    }
    Py_DECREF(action);
done:
    Py_XDECREF(headers);
    Py_XDECREF(message);
    return result;
}

static PyObject *send_message(Asgi *self, PyObject *message) {
    int differs;
    if (self->send == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "AsgiResponse.__init__() was not called");
        return NULL;
    }
    Py_INCREF(message);
    Py_INCREF(self); /* the send functions run code that may drop the app's references */
    PyObject *result;
    switch (self->state) {
    case BUFFERING:
        result = buffering(self, message);
        break;
    case START:
        if ((differs = type_is_not(message, type_start)) != 0) {
            result = differs < 0 ? NULL : PyObject_CallOneArg(self->send, message);
            break;
        }
        result = starting(self, message);
        break;
    case STREAMING:
        result = PyObject_CallOneArg(self->send, message);
        break;
    default: /* DROPPING: the app's body after a 304/412 from its own tag; DONE: nothing may follow */
        result = Py_NewRef(READY);
    }
    Py_DECREF(self);
    Py_DECREF(message);
    return result;
}

/* --- the type --- */

static int asgi_init(Asgi *self, PyObject *args, PyObject *kwds) {
    if ((kwds != NULL && PyDict_GET_SIZE(kwds) != 0) || PyTuple_GET_SIZE(args) != 4) {
        PyErr_SetString(PyExc_TypeError, "AsgiResponse(policy, method, request_headers, send)");
        return -1;
    }
    if (etagcore_core_setup(&self->core, PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1),
                            PyTuple_GET_ITEM(args, 2), 1) < 0)
        return -1;
    Py_XSETREF(self->send, Py_NewRef(PyTuple_GET_ITEM(args, 3)));
    Py_CLEAR(self->held_start);
    self->state = START;
    return 0;
}

static int asgi_traverse(Asgi *self, visitproc visit, void *arg) {
    Py_VISIT(self->send);
    Py_VISIT(self->held_start);
    return etagcore_core_traverse(&self->core, visit, arg);
}

static int asgi_clear(Asgi *self) {
    Py_CLEAR(self->send);
    Py_CLEAR(self->held_start);
    return etagcore_core_clear(&self->core);
}

static void asgi_dealloc(Asgi *self) {
    PyObject_GC_UnTrack(self);
    asgi_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *asgi_get_held_start(Asgi *self, void *closure) {
    return Py_NewRef(self->held_start ? self->held_start : Py_None);
}

static PyObject *asgi_get_state(Asgi *self, void *closure) { return PyLong_FromLong(self->state); }

static PyGetSetDef asgi_getset[] = {
    {"held_start", (getter)asgi_get_held_start, NULL, "the app's start message, held while its body is buffered", NULL},
    {"state", (getter)asgi_get_state, NULL, "0 start, 1 buffering, 2 streaming, 3 dropping, 4 done", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef asgi_members[] = {
    {"send", T_OBJECT, offsetof(Asgi, send), READONLY, "the server's send()"},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef asgi_methods[] = {
    {"send_message", (PyCFunction)send_message, METH_O, "send_message(message) -> awaitable: the app's send()"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AsgiType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "etagcore._response.AsgiResponse",
    .tp_basicsize = sizeof(Asgi),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "AsgiResponse(policy, method, request_headers, send): a ResponseCore fed by an ASGI app.",
    .tp_traverse = (traverseproc)asgi_traverse,
    .tp_clear = (inquiry)asgi_clear,
    .tp_dealloc = (destructor)asgi_dealloc,
    .tp_init = (initproc)asgi_init,
    .tp_methods = asgi_methods,
    .tp_members = asgi_members,
    .tp_getset = asgi_getset,
};

int etagcore_add_asgi(PyObject *m) {
    static const char *names[] = {"type", "body", "more_body", "headers", "status", "trailers", "get", "passthrough",
                                  "join", "http.response.start", "http.response.body"};
    PyObject **slots[] = {&str_type, &str_body, &str_more_body, &str_headers, &str_status, &str_trailers, &str_get,
                          &str_passthrough, &str_join, &type_start, &type_body};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((*slots[i] = PyUnicode_InternFromString(names[i])) == NULL)
            return -1;
    AsgiType.tp_base = &etagcore_CoreType;
    if ((empty_bytes = PyBytes_FromStringAndSize(NULL, 0)) == NULL || PyType_Ready(&ReadyType) < 0 ||
        PyType_Ready(&AsgiType) < 0 || (READY = PyObject_New(PyObject, &ReadyType)) == NULL)
        return -1;
    if (PyModule_AddObjectRef(m, "AsgiResponse", (PyObject *)&AsgiType) < 0 || PyModule_AddObjectRef(m, "READY", READY) < 0)
        return -1;
    return 0;
}
