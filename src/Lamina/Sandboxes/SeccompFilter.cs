using System.Runtime.InteropServices;

namespace Lamina.Sandboxes;

/// <summary>
/// The seccomp-bpf filter every sandbox runs under, compiled once with libseccomp and handed to
/// bubblewrap by file descriptor (<c>--seccomp FD</c>). An allowlist at least as strict as Docker's
/// default profile: everything not listed fails with EPERM; non-native architectures (i386, x32) are
/// killed by libseccomp's architecture check.
/// </summary>
/// <remarks>
/// Never load it into Lamina itself: without TSYNC it would filter one .NET thread, with TSYNC the
/// whole control plane (reference/security.md section 2). Compiling takes about 6 ms, once.
/// </remarks>
internal sealed partial class SeccompFilter
{
    private const uint ActAllow = 0x7fff0000;
    private const int Eperm = 1;
    private const int Enosys = 38;

    private static uint ActErrno(int errno) => 0x00050000u | (uint)(errno & 0xffff);

    /// <summary>
    /// Docker's default allowlist (moby profiles/seccomp/default.json) minus the calls Lamina forbids
    /// outright: ptrace, clock adjustment (adjtimex, clock_adjtime) and everything that needs a capability.
    /// Not listed, hence EPERM: mount, umount2, pivot_root, chroot, unshare, setns, bpf, perf_event_open,
    /// userfaultfd, keyctl, add_key, request_key, kexec_*, *_module, open_by_handle_at, reboot, swapon,
    /// swapoff, settimeofday, clock_settime, acct, quotactl, syslog, vhangup, iopl, ioperm, io_uring_*,
    /// lookup_dcookie, fanotify_init, ptrace, process_vm_readv/writev.
    /// </summary>
    public static readonly IReadOnlyList<string> Allowed =
    [
        "accept", "accept4", "access", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir", "chmod", "chown",
        "clock_getres", "clock_gettime", "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
        "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
        "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark",
        "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
        "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_requeue", "futex_wait", "futex_waitv",
        "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresuid", "getrlimit",
        "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
        "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
        "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "mincore", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
        "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
        "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
        "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom",
        "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
        "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
        "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid",
        "setreuid", "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr",
        "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socketpair", "splice", "stat", "statfs",
        "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times",
        "tkill", "truncate", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "write", "writev", "arch_prctl",
    ];

    /// <summary>Namespace flags clone may not carry (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET), as in Docker's profile.</summary>
    private const ulong CloneNamespaceFlags = 0x7E020000;

    /// <summary>personality(2) personas Docker allows: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the query 0xffffffff.</summary>
    private static readonly ulong[] Personalities = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

    /// <summary>AF_VSOCK reaches the hypervisor; Docker's profile refuses it.</summary>
    private const ulong AfVsock = 40;

    private readonly byte[] _program;

    private SeccompFilter(byte[] program) => _program = program;

    public int ProgramBytes => _program.Length;

    /// <summary>Compiles the filter, or returns null with what to install.</summary>
    public static SeccompFilter? Compile(out string? problem)
    {
        problem = null;
        IntPtr ctx;
        try
        {
            ctx = SeccompInit(ActErrno(Eperm));
        }
        catch (DllNotFoundException)
        {
            problem = "libseccomp is not installed (apt-get install libseccomp2).";
            return null;
        }

        if (ctx == IntPtr.Zero)
        {
            problem = "seccomp_init failed.";
            return null;
        }

        try
        {
            foreach (var name in Allowed)
            {
                Add(ctx, ActAllow, name);
            }

            Add(ctx, ActAllow, "clone", new ScmpArgCmp(0, ScmpCompare.MaskedEqual, CloneNamespaceFlags, 0));
            // glibc falls back to clone when clone3 says ENOSYS; clone3's flags live in memory seccomp cannot inspect.
            Add(ctx, ActErrno(Enosys), "clone3");
            foreach (var persona in Personalities)
            {
                Add(ctx, ActAllow, "personality", new ScmpArgCmp(0, ScmpCompare.Equal, persona, 0));
            }

            Add(ctx, ActAllow, "socket", new ScmpArgCmp(0, ScmpCompare.NotEqual, AfVsock, 0));

            var fd = InheritedMemfd.MemfdCreate("lamina-seccomp-compile", 0);
            if (fd < 0)
            {
                problem = "memfd_create failed.";
                return null;
            }

            try
            {
                if (SeccompExportBpf(ctx, fd) != 0)
                {
                    problem = "seccomp_export_bpf failed.";
                    return null;
                }

                var size = InheritedMemfd.Lseek(fd, 0, 2);
                InheritedMemfd.Lseek(fd, 0, 0);
                var program = new byte[size];
                var read = InheritedMemfd.Read(fd, program, program.Length);
                if (read != program.Length)
                {
                    problem = "Could not read back the compiled seccomp program.";
                    return null;
                }

                return new SeccompFilter(program);
            }
            finally
            {
                InheritedMemfd.Release(fd);
            }
        }
        finally
        {
            SeccompRelease(ctx);
        }
    }

    private static void Add(IntPtr ctx, uint action, string name, params ScmpArgCmp[] conditions)
    {
        var number = SeccompSyscallResolveName(name);
        if (number < 0)
        {
            // Not a syscall of this architecture (libseccomp pseudo-numbers are negative).
            return;
        }

        var rc = SeccompRuleAddArray(ctx, action, number, (uint)conditions.Length, conditions);
        if (rc != 0)
        {
            throw new InvalidOperationException($"seccomp rule for {name} failed ({rc}).");
        }
    }

    /// <summary>A fresh memfd holding the program for bubblewrap's <c>--seccomp</c> (<see cref="InheritedMemfd"/>).</summary>
    public int CreateDescriptor() => InheritedMemfd.Create("lamina-seccomp", _program);

    public static void CloseDescriptor(int fd) => InheritedMemfd.Release(fd);

    private enum ScmpCompare
    {
        NotEqual = 1,
        Equal = 4,
        MaskedEqual = 7,
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct ScmpArgCmp(uint arg, ScmpCompare op, ulong a, ulong b)
    {
        public readonly uint Arg = arg;
        public readonly ScmpCompare Op = op;
        public readonly ulong DatumA = a;
        public readonly ulong DatumB = b;
    }

    [LibraryImport("libseccomp.so.2", EntryPoint = "seccomp_init")]
    private static partial IntPtr SeccompInit(uint defaultAction);

    [LibraryImport("libseccomp.so.2", EntryPoint = "seccomp_release")]
    private static partial void SeccompRelease(IntPtr ctx);

    [LibraryImport("libseccomp.so.2", EntryPoint = "seccomp_syscall_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SeccompSyscallResolveName(string name);

    [LibraryImport("libseccomp.so.2", EntryPoint = "seccomp_rule_add_array")]
    private static partial int SeccompRuleAddArray(IntPtr ctx, uint action, int syscall, uint argCount, [In] ScmpArgCmp[] args);

    [LibraryImport("libseccomp.so.2", EntryPoint = "seccomp_export_bpf")]
    private static partial int SeccompExportBpf(IntPtr ctx, int fd);
}
