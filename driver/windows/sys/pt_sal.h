/*
 * pt_sal.h - SAL annotations for the driver's files. Windows builds take
 * them from <sal.h>; whatever mingw-w64's <sal.h> lacks (and everything,
 * for the native Linux unit tests) is defined empty here.
 */
#ifndef PROCTREE_PT_SAL_H
#define PROCTREE_PT_SAL_H
#ifdef _WIN32
#include <sal.h>
#endif
#ifndef _In_
#define _In_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif
#ifndef _Inout_opt_
#define _Inout_opt_
#endif
#ifndef _Out_
#define _Out_
#endif
#ifndef _Inout_
#define _Inout_
#endif
#ifndef _In_reads_bytes_
#define _In_reads_bytes_(n)
#endif
#ifndef _Out_writes_bytes_
#define _Out_writes_bytes_(n)
#endif
#ifndef _Outptr_result_maybenull_
#define _Outptr_result_maybenull_
#endif
#ifndef _Must_inspect_result_
#define _Must_inspect_result_
#endif
#ifndef _IRQL_requires_
#define _IRQL_requires_(l)
#endif
#ifndef _IRQL_requires_max_
#define _IRQL_requires_max_(l)
#endif
#ifndef _IRQL_requires_same_
#define _IRQL_requires_same_
#endif
#ifndef _Requires_lock_held_
#define _Requires_lock_held_(l)
#endif
#ifndef _Dispatch_type_
#define _Dispatch_type_(t)
#endif
#ifndef _Function_class_
#define _Function_class_(c)
#endif
#ifndef _Use_decl_annotations_
#define _Use_decl_annotations_
#endif
#endif
