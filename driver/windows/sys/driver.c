/*++

Module Name:

    driver.c

Abstract:

    proctree.sys entry and exit: DriverEntry sets up, in this order, the
    driver-wide state and reader list (the queues exist before any callback
    can fire), the device \Device\ProcTree with a DACL that admits only
    SYSTEM and Administrators, the link \??\ProcTree, and the process,
    thread and image-load notify routines. Any failure undoes what was done,
    in reverse order (one cleanup path, driven by PtGlobals.Setup), and
    DriverUnload runs that same path.

    APIs newer than mingw-w64's import library (KeQuerySystemTimePrecise)
    are looked up with MmGetSystemRoutineAddress, never imported.

Environment:

    Kernel mode, PASSIVE_LEVEL.

--*/

#include "proctree.h"

PT_GLOBALS PtGlobals;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD PtDriverUnload;

/* S-1-5-18 (LocalSystem) and S-1-5-32-544 (BUILTIN\Administrators), built
 * here rather than taken from SeExports so that nothing depends on how a
 * kernel (or an emulator) fills that table. */
typedef struct _PT_SID2 {
    UCHAR Revision;
    UCHAR SubAuthorityCount;
    UCHAR IdentifierAuthority[6];
    ULONG SubAuthority[2];
} PT_SID2;

static PT_SID2 PtSystemSid = { 1, 1, { 0, 0, 0, 0, 0, 5 }, { 18, 0 } };
static PT_SID2 PtAdminsSid = { 1, 2, { 0, 0, 0, 0, 0, 5 }, { 32, 544 } };

ULONG64
PtNowNs(
    VOID)
{
    LARGE_INTEGER now;

    if (PtGlobals.QueryTime != NULL) {
        PtGlobals.QueryTime(&now);
    } else {
        KeQuerySystemTime(&now);
    }
    return PT_FILETIME_TO_NS(now.QuadPart);
}

/* KeQuerySystemTimePrecise (Windows 8+), else the exported
 * KeQuerySystemTime, else (QueryTime NULL) the shared-data macro. */
_IRQL_requires_(PASSIVE_LEVEL)
static VOID
PtResolveClock(
    VOID)
{
    UNICODE_STRING name;
    PVOID routine;

    RtlInitUnicodeString(&name, L"KeQuerySystemTimePrecise");
    routine = MmGetSystemRoutineAddress(&name);
    if (routine == NULL) {
        RtlInitUnicodeString(&name, L"KeQuerySystemTime");
        routine = MmGetSystemRoutineAddress(&name);
    }
    /* Data pointer to function pointer without a cast ISO C forbids. */
    RtlCopyMemory(&PtGlobals.QueryTime, &routine, sizeof(routine));
}

/* QueueCapBytes under <service key>\Parameters, clamped; default when absent. */
_IRQL_requires_(PASSIVE_LEVEL)
static ULONG
PtReadQueueCap(
    _In_ PUNICODE_STRING RegistryPath)
{
    static const WCHAR suffix[] = L"\\Parameters";
    WCHAR path[256];
    UNICODE_STRING keyName;
    UNICODE_STRING valueName;
    OBJECT_ATTRIBUTES attributes;
    HANDLE key = NULL;
    UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    PKEY_VALUE_PARTIAL_INFORMATION value = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
    ULONG length = 0;
    ULONG cap = PT_QUEUE_CAP_DEFAULT;
    NTSTATUS status;

    if (RegistryPath == NULL || RegistryPath->Buffer == NULL ||
        RegistryPath->Length + sizeof(suffix) > sizeof(path)) {
        return cap;
    }
    RtlCopyMemory(path, RegistryPath->Buffer, RegistryPath->Length);
    RtlCopyMemory((PUCHAR)path + RegistryPath->Length, suffix, sizeof(suffix));
    RtlInitUnicodeString(&keyName, path);
    InitializeObjectAttributes(&attributes, &keyName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);

    status = ZwOpenKey(&key, KEY_READ, &attributes);
    if (!NT_SUCCESS(status)) {
        return cap;
    }
    RtlInitUnicodeString(&valueName, PT_REG_QUEUE_CAP);
    status = ZwQueryValueKey(key, &valueName, KeyValuePartialInformation, value, sizeof(buffer), &length);
    if (NT_SUCCESS(status) && value->Type == REG_DWORD && value->DataLength == sizeof(ULONG)) {
        RtlCopyMemory(&cap, value->Data, sizeof(ULONG));
        if (cap < PT_QUEUE_CAP_MIN) {
            cap = PT_QUEUE_CAP_MIN;
        } else if (cap > PT_QUEUE_CAP_MAX) {
            cap = PT_QUEUE_CAP_MAX;
        }
    }
    ZwClose(key);
    return cap & ~7u;
}

/* Replaces the device's DACL with: SYSTEM and Administrators, all access.
 * Everyone else is refused by the object manager before IRP_MJ_CREATE. */
_IRQL_requires_(PASSIVE_LEVEL)
static NTSTATUS
PtSecureDevice(
    _In_ PDEVICE_OBJECT DeviceObject)
{
    SECURITY_DESCRIPTOR descriptor;
    ULONG aclSize;
    PACL acl = NULL;
    HANDLE handle = NULL;
    NTSTATUS status;

    aclSize = sizeof(ACL) + 2 * (sizeof(ACCESS_ALLOWED_ACE) - sizeof(ULONG)) +
              RtlLengthSid((PSID)&PtSystemSid) + RtlLengthSid((PSID)&PtAdminsSid);
    acl = (PACL)ExAllocatePoolWithTag(PagedPool, aclSize, PT_POOL_TAG);
    if (acl == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    status = RtlCreateAcl(acl, aclSize, ACL_REVISION);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = RtlAddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, (PSID)&PtSystemSid);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = RtlAddAccessAllowedAce(acl, ACL_REVISION, FILE_ALL_ACCESS, (PSID)&PtAdminsSid);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = RtlCreateSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = RtlSetDaclSecurityDescriptor(&descriptor, TRUE, acl, FALSE);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = ObOpenObjectByPointer(DeviceObject, OBJ_KERNEL_HANDLE, NULL, WRITE_DAC, NULL,
                                   KernelMode, &handle);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    status = ZwSetSecurityObject(handle, DACL_SECURITY_INFORMATION, &descriptor);
    ZwClose(handle);

Cleanup:
    ExFreePoolWithTag(acl, PT_POOL_TAG);
    return status;
}

/* Undoes the steps recorded in PtGlobals.Setup, last first. Used by a
 * failing DriverEntry and by DriverUnload, so the two cannot drift apart. */
_IRQL_requires_(PASSIVE_LEVEL)
static VOID
PtTeardown(
    VOID)
{
    UNICODE_STRING link;

    if (PtGlobals.Setup & PT_SETUP_IMAGE_NOTIFY) {
        PsRemoveLoadImageNotifyRoutine(PtImageNotify);
        PtGlobals.Setup &= ~PT_SETUP_IMAGE_NOTIFY;
    }
    if (PtGlobals.Setup & PT_SETUP_THREAD_NOTIFY) {
        PsRemoveCreateThreadNotifyRoutine(PtThreadNotify);
        PtGlobals.Setup &= ~PT_SETUP_THREAD_NOTIFY;
    }
    if (PtGlobals.Setup & PT_SETUP_PROCESS_NOTIFY) {
        /* Returns once no call of PtProcessNotify is in progress. */
        PsSetCreateProcessNotifyRoutineEx(PtProcessNotify, TRUE);
        PtGlobals.Setup &= ~PT_SETUP_PROCESS_NOTIFY;
    }
    if (PtGlobals.Setup & PT_SETUP_SYMLINK) {
        RtlInitUnicodeString(&link, PT_DOS_DEVICE_NAME);
        IoDeleteSymbolicLink(&link);
        PtGlobals.Setup &= ~PT_SETUP_SYMLINK;
    }
    /* No callback can queue now: complete every pended read, free readers. */
    PtShutdownReaders();
    if (PtGlobals.Setup & PT_SETUP_DEVICE) {
        IoDeleteDevice(PtGlobals.DeviceObject);
        PtGlobals.DeviceObject = NULL;
        PtGlobals.Setup &= ~PT_SETUP_DEVICE;
    }
}

_Use_decl_annotations_
VOID
PtDriverUnload(
    PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    PtTeardown();
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(
    PDRIVER_OBJECT DriverObject,
    PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING deviceName;
    UNICODE_STRING linkName;
    NTSTATUS status;

    /* 1. Driver-wide state and the reader list, before anything can call in. */
    RtlZeroMemory(&PtGlobals, sizeof(PtGlobals));
    PtGlobals.DriverObject = DriverObject;
    KeInitializeSpinLock(&PtGlobals.ReadersLock);
    InitializeListHead(&PtGlobals.Readers);
    PtGlobals.MaskUnion = 0;
    PtGlobals.QueueCapBytes = PtReadQueueCap(RegistryPath);
    PtResolveClock();

    DriverObject->MajorFunction[IRP_MJ_CREATE] = PtDispatchCreate;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = PtDispatchCleanup;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = PtDispatchClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = PtDispatchRead;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = PtDispatchDeviceControl;
    DriverObject->DriverUnload = PtDriverUnload;

    /* 2. The device, admin-only. */
    RtlInitUnicodeString(&deviceName, PT_NT_DEVICE_NAME);
    status = IoCreateDevice(DriverObject, 0, &deviceName, PT_FILE_DEVICE, FILE_DEVICE_SECURE_OPEN,
                            FALSE, &PtGlobals.DeviceObject);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    PtGlobals.Setup |= PT_SETUP_DEVICE;
    PtGlobals.DeviceObject->Flags |= DO_BUFFERED_IO;
    status = PtSecureDevice(PtGlobals.DeviceObject);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }

    /* 3. The name user mode opens. */
    RtlInitUnicodeString(&linkName, PT_DOS_DEVICE_NAME);
    status = IoCreateSymbolicLink(&linkName, &deviceName);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    PtGlobals.Setup |= PT_SETUP_SYMLINK;
    PtGlobals.DeviceObject->Flags &= ~DO_DEVICE_INITIALIZING;

    /* 4. Callbacks last: from here on events arrive. Fails with
     *    STATUS_ACCESS_DENIED unless the image has FORCE_INTEGRITY. */
    status = PsSetCreateProcessNotifyRoutineEx(PtProcessNotify, FALSE);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    PtGlobals.Setup |= PT_SETUP_PROCESS_NOTIFY;
    status = PsSetCreateThreadNotifyRoutine(PtThreadNotify);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    PtGlobals.Setup |= PT_SETUP_THREAD_NOTIFY;
    status = PsSetLoadImageNotifyRoutine(PtImageNotify);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    PtGlobals.Setup |= PT_SETUP_IMAGE_NOTIFY;
    return STATUS_SUCCESS;

Cleanup:
    PtTeardown();
    return status;
}
