// SPDX-License-Identifier: GPL-2.0
/*
 * proctree.bpf.c - process lifetime events from the scheduler's BTF
 * tracepoints (tp_btf: no tracefs needed), captured inside the kernel so that
 * even a process that lives a millisecond keeps its name, executable and argv.
 *
 * Compiled with clang -target bpf against a vmlinux.h generated at build time
 * (CO-RE: field offsets are relocated by libbpf at load time). Events go to a
 * BPF ring buffer; a failed output is counted in `counters` so that user space
 * can report the loss and resync from /proc.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pt_bpf_event.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD 0x00200000
#define SIGNAL_GROUP_EXIT 0x00000004

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024 * 1024); /* user space may resize before load */
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pt_bpf_proc);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PT_BPF_CTR_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

/* Wake the reader only once this much is waiting (set before load); it
 * also drains on its own every few milliseconds. Batching wakeups keeps the
 * reader's CPU low in a storm. */
const volatile __u64 wakeup_bytes = 64 * 1024;

static __always_inline __u64 wakeup_flag(void)
{
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
                                                                         : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void)
{
    __u32 key = PT_BPF_CTR_LOST;
    __u64 *v = bpf_map_lookup_elem(&counters, &key);
    if (v) *v += 1; /* per-CPU: no atomics needed */
}

static __always_inline __u64 leader_start(struct task_struct *t)
{
    return BPF_CORE_READ(t, group_leader, start_boottime);
}

/* Appends the path of `file` to e->data as components, leaf first, each
 * NUL-terminated (user space reverses them). Crosses mount points up to the
 * root of the mount namespace, like d_path. */
static __always_inline void read_path(struct pt_bpf_proc *e, struct file *file)
{
    struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
    struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
    struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
    __u32 off = 0;
    int reached_root = 0;

    for (int i = 0; i < PT_BPF_PATH_DEPTH; i++) {
        struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
        struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
        if (dentry == mnt_root) {
            struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
            if (mnt_parent == mnt) {
                reached_root = 1;
                break;
            }
            dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
            mnt = mnt_parent;
            vfsmnt = &mnt->mnt;
            continue;
        }
        if (dentry == parent) {
            reached_root = 1;
            break;
        }
        if (off > PT_BPF_PATH_MAX - PT_BPF_NAME_MAX) break;
        const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
        long n = bpf_probe_read_kernel_str(&e->data[off & (PT_BPF_PATH_MAX - 1)], PT_BPF_NAME_MAX, name);
        if (n <= 0) break;
        off += (__u32)n;
        dentry = parent;
    }
    if (!reached_root) e->flags |= PT_BPF_F_PATH_TRUNCATED;
    e->path_len = (__u16)off;
}

/* Appends up to PT_BPF_ARGS_MAX bytes of argv (of the current task's memory,
 * at [arg_start, arg_end) of mm) after the path. */
static __always_inline void read_args(struct pt_bpf_proc *e, struct mm_struct *mm)
{
    unsigned long start = BPF_CORE_READ(mm, arg_start);
    unsigned long end = BPF_CORE_READ(mm, arg_end);
    __u32 off = e->path_len;
    __u64 len;

    if (end <= start) {
        e->flags |= PT_BPF_F_NO_ARGS;
        return;
    }
    len = end - start;
    if (len > PT_BPF_ARGS_MAX) {
        len = PT_BPF_ARGS_MAX;
        e->flags |= PT_BPF_F_ARGS_TRUNCATED;
    }
    off &= (PT_BPF_PATH_MAX * 2 - 1);
    len &= (PT_BPF_ARGS_MAX * 2 - 1);
    if (len == 0) return;
    if (bpf_probe_read_user(&e->data[off], len, (const void *)start) != 0) {
        e->flags |= PT_BPF_F_NO_ARGS;
        return;
    }
    e->args_len = (__u16)len;
}

static __always_inline void fill_proc(struct pt_bpf_proc *e, __u32 type, struct task_struct *task,
                                      struct mm_struct *args_mm)
{
    struct task_struct *rparent = BPF_CORE_READ(task, real_parent);
    struct mm_struct *mm = BPF_CORE_READ(task, mm);

    e->h.type = type;
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = BPF_CORE_READ(task, tgid);
    e->tid = BPF_CORE_READ(task, pid);
    e->start_boottime = leader_start(task);
    e->ppid = BPF_CORE_READ(rparent, tgid);
    e->parent_start_boottime = leader_start(rparent);
    e->uid = BPF_CORE_READ(task, cred, euid.val); /* like ProcFs (and ps) */
    e->flags = 0;
    e->path_len = 0;
    e->args_len = 0;
    BPF_CORE_READ_STR_INTO(&e->comm, task, comm);

    if (BPF_CORE_READ(task, flags) & PF_KTHREAD) {
        e->flags |= PT_BPF_F_KTHREAD | PT_BPF_F_NO_PATH | PT_BPF_F_NO_ARGS;
    } else if (!mm) {
        /* a user-mode helper before its exec (forked from a kernel thread) */
        e->flags |= PT_BPF_F_NO_PATH | PT_BPF_F_NO_ARGS;
    } else {
        struct file *exe = BPF_CORE_READ(mm, exe_file);
        if (exe)
            read_path(e, exe);
        else
            e->flags |= PT_BPF_F_NO_PATH;
        if (args_mm)
            read_args(e, args_mm);
        else
            e->flags |= PT_BPF_F_NO_ARGS;
    }
}

static __always_inline void send_proc(struct pt_bpf_proc *e)
{
    __u64 size = PT_BPF_PROC_FIXED + (__u64)e->path_len + (__u64)e->args_len;
    size &= (PT_BPF_DATA_SIZE * 2 - 1);
    if (size > sizeof(*e)) size = sizeof(*e);
    if (size < PT_BPF_PROC_FIXED) size = PT_BPF_PROC_FIXED;
    e->h.size = (__u32)size;
    if (bpf_ringbuf_output(&events, e, size, wakeup_flag()) != 0) count_lost();
}

static __always_inline void send_task(__u32 type, struct task_struct *task, __s32 exit_code, __u32 flags)
{
    struct pt_bpf_task *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return;
    }
    e->h.type = type;
    e->h.size = sizeof(*e);
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = BPF_CORE_READ(task, tgid);
    e->tid = BPF_CORE_READ(task, pid);
    e->start_boottime = leader_start(task);
    e->exit_code = exit_code;
    e->flags = flags;
    bpf_ringbuf_submit(e, wakeup_flag());
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pt_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 zero = 0;
    struct pt_bpf_proc *e;

    if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) {
        send_task(PT_BPF_EV_THREAD, child, 0, 0);
        return 0;
    }
    e = bpf_map_lookup_elem(&scratch, &zero);
    if (!e) return 0;
    /* The child is a copy of the parent: its argv is in the parent's (the
     * current task's) memory at the same addresses. */
    fill_proc(e, PT_BPF_EV_FORK, child, BPF_CORE_READ(parent, mm));
    e->creator_pid = BPF_CORE_READ(parent, tgid);
    e->creator_tid = BPF_CORE_READ(parent, pid);
    send_proc(e);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pt_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u32 zero = 0;
    struct pt_bpf_proc *e = bpf_map_lookup_elem(&scratch, &zero);

    if (!e) return 0;
    fill_proc(e, PT_BPF_EV_EXEC, p, BPF_CORE_READ(p, mm));
    e->creator_pid = (__u32)old_pid;
    e->creator_tid = 0;
    send_proc(e);
    return 0;
}

/* The wait status a parent would see for this process (see wait_task_zombie). */
static __always_inline __s32 process_status(struct task_struct *p)
{
    struct signal_struct *sig = BPF_CORE_READ(p, signal);
    if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT) return BPF_CORE_READ(sig, group_exit_code);
    return BPF_CORE_READ(p, group_leader, exit_code);
}

static __always_inline void on_exit(struct task_struct *p, int group_dead)
{
    if (group_dead)
        send_task(PT_BPF_EV_EXIT, p, process_status(p), 0);
    else
        send_task(PT_BPF_EV_THREAD_EXIT, p, BPF_CORE_READ(p, exit_code), 0);
}

/* Linux >= 6.16: the tracepoint says whether the thread group died. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pt_exit_group_dead, struct task_struct *p, bool group_dead)
{
    on_exit(p, group_dead);
    return 0;
}

/* Older kernels: the last thread out sees signal->live at zero (do_exit
 * decrements it before this tracepoint). User space loads one of the two. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pt_exit_live, struct task_struct *p)
{
    on_exit(p, BPF_CORE_READ(p, signal, live.counter) == 0);
    return 0;
}

/* comm changes of a process (its group leader's comm is /proc/PID/comm).
 * exec renames too, inside begin_new_exec: the exec event carries that name,
 * so renames while in_execve is set are not reported. */
SEC("tp_btf/task_rename")
int BPF_PROG(pt_rename, struct task_struct *task, const char *comm)
{
    struct pt_bpf_rename *e;

    if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid)) return 0;
    if (bpf_core_field_exists(task->in_execve) && BPF_CORE_READ_BITFIELD_PROBED(task, in_execve)) return 0;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    e->h.type = PT_BPF_EV_RENAME;
    e->h.size = sizeof(*e);
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = BPF_CORE_READ(task, tgid);
    e->tid = BPF_CORE_READ(task, pid);
    e->start_boottime = leader_start(task);
    if (bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm) < 0) e->comm[0] = 0;
    bpf_ringbuf_submit(e, wakeup_flag());
    return 0;
}
