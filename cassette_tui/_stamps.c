/* The one hot loop of a warm start, in C: stat every file of a folder and compare
 * its (size, mtime_ns) with what the cache holds.
 *
 * Python's os.stat spends more time building its stat_result (three float and
 * three nanosecond times, each made with big-int arithmetic) than the system call
 * takes. This compares in place and builds nothing. Optional: walk.py falls back
 * to os.stat when the module was not compiled (no C compiler at install time).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#ifdef __APPLE__
#define MTIME_SEC(st) ((st).st_mtimespec.tv_sec)
#define MTIME_NSEC(st) ((st).st_mtimespec.tv_nsec)
#else
#define MTIME_SEC(st) ((st).st_mtim.tv_sec)
#define MTIME_NSEC(st) ((st).st_mtim.tv_nsec)
#endif

PyDoc_STRVAR(same_stamps_doc,
"same_stamps(dir_fd, names, stamps) -> bool\n\n"
"True when every name, stat'ed relative to the folder open at dir_fd (following\n"
"symlinks, as os.stat does), has the size and mtime_ns packed for it in stamps:\n"
"two native int64 per name, in order. False on any difference, on a name that\n"
"cannot be stat'ed, or when stamps does not hold exactly one pair per name.");

static PyObject *
same_stamps(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "same_stamps() takes 3 arguments: dir_fd, names, stamps");
        return NULL;
    }
    long fd = PyLong_AsLong(args[0]);
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    if (fd < 0 || fd > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "dir_fd out of range");
        return NULL;
    }
    int dir_fd = (int)fd;
    /* A tuple of our own: a list could change size while the GIL is released below. */
    PyObject *names = PySequence_Tuple(args[1]);
    if (names == NULL)
        return NULL;
    Py_buffer stamps;
    if (PyObject_GetBuffer(args[2], &stamps, PyBUF_SIMPLE) < 0) {
        Py_DECREF(names);
        return NULL;
    }

    Py_ssize_t n = PyTuple_GET_SIZE(names);
    int same = stamps.len == n * 2 * (Py_ssize_t)sizeof(int64_t);
    for (Py_ssize_t i = 0; same && i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            same = 0;
            break;
        }
        /* The file system encoding with surrogateescape, as os.stat encodes names. */
        PyObject *encoded = PyUnicode_EncodeFSDefault(name);
        if (encoded == NULL) {
            PyErr_Clear();
            same = 0;
            break;
        }
        if (strlen(PyBytes_AS_STRING(encoded)) != (size_t)PyBytes_GET_SIZE(encoded)) {
            Py_DECREF(encoded);   /* an embedded NUL would stat a shorter name: os.stat refuses it */
            same = 0;
            break;
        }
        struct stat st;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = fstatat(dir_fd, PyBytes_AS_STRING(encoded), &st, 0);
        Py_END_ALLOW_THREADS
        Py_DECREF(encoded);
        int64_t want[2];
        memcpy(want, (const char *)stamps.buf + i * sizeof(want), sizeof(want));
        same = rc == 0 && (int64_t)st.st_size == want[0]
               && (int64_t)MTIME_SEC(st) * 1000000000 + (int64_t)MTIME_NSEC(st) == want[1];
    }
    PyBuffer_Release(&stamps);
    Py_DECREF(names);
    return PyBool_FromLong(same);
}

static PyMethodDef stamps_methods[] = {
    {"same_stamps", (PyCFunction)(void (*)(void))same_stamps, METH_FASTCALL, same_stamps_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef stamps_module = {
    PyModuleDef_HEAD_INIT,
    "cassette_tui._stamps",
    "A folder's files against their cached (size, mtime_ns), without building stat results.",
    0,
    stamps_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__stamps(void)
{
    return PyModuleDef_Init(&stamps_module);
}
