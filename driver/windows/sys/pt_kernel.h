/*
 * pt_kernel.h - the kernel headers for the driver's portable files. The
 * native Linux unit tests define PT_NATIVE_SHIM and supply a thin shim
 * (tests/windows/shim/pt_shim.h) with the few types and routines used.
 */
#ifndef PROCTREE_PT_KERNEL_H
#define PROCTREE_PT_KERNEL_H
#ifdef PT_NATIVE_SHIM
#include <pt_shim.h>
#else
#include <ntifs.h>
#include <ntddk.h>
#endif
#include "pt_sal.h"
#endif
