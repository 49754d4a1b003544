// An attached reader as PtDispatchCreate (and IOCTL_PT_SET_EVENT_MASK) make
// one, for the native driver tests (tests/windows/shim). Include after
// proctree.h; the test owns PtGlobals and releases the reader.
#pragma once

#include <cstring>

inline PPT_READER pt_test_add_reader(LONG mask, ULONG capBytes)
{
    auto *r = static_cast<PPT_READER>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(PT_READER), PT_POOL_TAG));
    std::memset(r, 0, sizeof *r);
    r->Ring = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPoolNx, capBytes, PT_POOL_TAG));
    KeInitializeSpinLock(&r->Lock);
    PtQueueInit(&r->Queue, r->Ring, capBytes);
    InitializeListHead(&r->PendingReads);
    r->RefCount = 1;
    r->EventMask = mask;
    InsertTailList(&PtGlobals.Readers, &r->Link);
    r->Attached = TRUE;
    PtGlobals.ReaderCount += 1;
    PtGlobals.MaskUnion = PtGlobals.MaskUnion | mask;
    return r;
}
