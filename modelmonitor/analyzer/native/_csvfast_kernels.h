/* The analyzer's numeric kernels on float64 buffers (and one on bytes), each without the GIL while it works:
 * counts on fixed bins, a bounded distinct count, moments, newline counting (and the plain-block scan), and the
 * report of a mapped input file that shrank. Python methods of `_csvfast`. */
#ifndef MODELMONITOR_CSVFAST_KERNELS_H
#define MODELMONITOR_CSVFAST_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *csvfast_bin_counts(PyObject *self, PyObject *args);
PyObject *csvfast_more_distinct_than(PyObject *self, PyObject *args);
PyObject *csvfast_moments(PyObject *self, PyObject *arg);
PyObject *csvfast_count_newlines(PyObject *self, PyObject *arg);
PyObject *csvfast_scan_block(PyObject *self, PyObject *arg);
PyObject *csvfast_report_shrinking(PyObject *self, PyObject *arg);

#endif
