/* What preconditions.c shares with response.c (both in etagcore._response). */
#ifndef ETAGCORE_PRECONDITIONS_H
#define ETAGCORE_PRECONDITIONS_H
#include <Python.h>

/* evaluate_preconditions(method, headers, etag=, last_modified=, exists=): 304, 412 or None. */
PyObject *etagcore_evaluate(PyObject *method, PyObject *headers, PyObject *etag, PyObject *last_modified,
                            PyObject *exists);
/* The 304 etagcore_evaluate() answers with (one object: compared by identity first). */
extern PyObject *etagcore_int_304;
/* bind_preconditions() */
extern PyMethodDef etagcore_precondition_functions[];
/* Interns the names preconditions.c looks up; -1 on error. */
int etagcore_preconditions_init(void);
#endif
