namespace Lamina.Tests.Support;

/// <summary>
/// A custom runtime that attacks its own sandbox on request and reports what happened: every attack
/// the isolation issue lists, each returning whether it succeeded and the error it got.
/// </summary>
public static class HostileRuntime
{
    public const string Bootstrap = """
        #!/usr/bin/python3 -u
        import ctypes, errno, http.client, json, os, socket, sys, time
        host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long

        def attempt(fn):
            try:
                value = fn()
                return {'ok': True, 'value': value}
            except Exception as e:
                return {'ok': False, 'error': type(e).__name__, 'errno': getattr(e, 'errno', None), 'message': str(e)[:200]}

        def sys_call(number, *args):
            ctypes.set_errno(0)
            rc = libc.syscall(number, *[ctypes.c_long(a) for a in args])
            if rc == -1:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
            return rc

        def read(path):
            with open(path, 'rb') as f:
                return len(f.read())

        def connect(addr, port, timeout=2):
            s = socket.create_connection((addr, port), timeout=timeout)
            s.close()
            return True

        def fork_bomb():
            children, failed = [], None
            for _ in range(3000):
                try:
                    pid = os.fork()
                except OSError as e:
                    failed = e.errno
                    break
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
            for pid in children:
                os.kill(pid, 9)
            for pid in children:
                os.waitpid(pid, 0)
            if failed is None:
                return len(children)
            raise OSError(failed, 'fork failed after %d children' % len(children))

        def fill_tmp():
            written = 0
            chunk = b'x' * (1024 * 1024)
            try:
                with open('/tmp/fill', 'wb') as f:
                    while written < 16 * 1024 * 1024 * 1024:
                        f.write(chunk)
                        f.flush()
                        written += len(chunk)
                return written
            except OSError as e:
                raise OSError(e.errno, 'stopped after %d bytes' % written)
            finally:
                if os.path.exists('/tmp/fill'):
                    os.remove('/tmp/fill')

        def status():
            fields = {}
            for line in open('/proc/self/status'):
                key, _, value = line.partition(':')
                fields[key] = value.strip()
            return {k: fields.get(k) for k in ['Uid', 'Gid', 'CapEff', 'CapPrm', 'CapBnd', 'NoNewPrivs', 'Seccomp']}

        def cpu_hog(seconds):
            end = time.time() + seconds
            n = 0
            while time.time() < end:
                n += 1
            return n

        listener = None
        conn = http.client.HTTPConnection(host, int(port))
        while True:
            conn.request('GET', '/2018-06-01/runtime/invocation/next')
            r = conn.getresponse()
            rid = r.getheader('Lambda-Runtime-Aws-Request-Id')
            event = json.loads(r.read() or b'{}')
            a = event.get('attack')
            out = {}
            if a == 'status':
                out = status()
                out['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
                out['tmp'] = os.listdir('/tmp')
                out['environ'] = dict(os.environ)
            elif a == 'files':
                out = {p: attempt(lambda p=p: read(p)) for p in event['paths']}
                out['listdirs'] = {d: attempt(lambda d=d: os.listdir(d)) for d in event.get('dirs', [])}
            elif a == 'signal':
                out = {str(pid): attempt(lambda pid=pid: os.kill(pid, 0)) for pid in event['pids']}
            elif a == 'syscalls':
                # x86_64 numbers: ptrace 101, mount 165, umount2 166, unshare 272, setns 308, bpf 321,
                # keyctl 250, perf_event_open 298, userfaultfd 323, io_uring_setup 425, kexec_load 246,
                # init_module 175, clock_settime 227, settimeofday 164, pivot_root 155, chroot 161, add_key 248
                calls = {'ptrace': (101, 0, 0, 0, 0), 'mount': (165, 0, 0, 0, 0), 'umount2': (166, 0, 0), 'unshare_user': (272, 0x10000000),
                         'unshare_mount': (272, 0x00020000), 'setns': (308, 0, 0), 'bpf': (321, 0, 0, 0), 'keyctl': (250, 0, 0),
                         'perf_event_open': (298, 0, 0, 0, 0, 0), 'userfaultfd': (323, 0), 'io_uring_setup': (425, 1, 0),
                         'kexec_load': (246, 0, 0, 0, 0), 'init_module': (175, 0, 0, 0), 'clock_settime': (227, 0, 0),
                         'settimeofday': (164, 0, 0), 'pivot_root': (155, 0, 0), 'chroot': (161, 0), 'add_key': (248, 0, 0, 0, 0, 0)}
                out = {name: attempt(lambda c=c: sys_call(*c)) for name, c in calls.items()}
                out['clone_newuser'] = attempt(lambda: os.unshare(os.CLONE_NEWUSER) if hasattr(os, 'unshare') else sys_call(272, 0x10000000))
            elif a == 'sockets':
                out = {
                    'raw_icmp': attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()),
                    'packet': attempt(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()),
                    'vsock': attempt(lambda: socket.socket(40, socket.SOCK_STREAM, 0).close()),
                }
            elif a == 'listen':
                listener = socket.socket()
                listener.bind(('0.0.0.0', event['port']))
                listener.listen(8)
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probe.connect((host, 9))
                out = {'address': probe.getsockname()[0]}
                probe.close()
            elif a == 'connect':
                out = {f"{t[0]}:{t[1]}": attempt(lambda t=t: connect(t[0], t[1])) for t in event['targets']}
            elif a == 'fork-bomb':
                out = attempt(fork_bomb)
            elif a == 'fill-tmp':
                out = attempt(fill_tmp)
            elif a == 'write-secret':
                open('/tmp/secret.txt', 'w').write(event['secret'])
                out = {'written': True}
            elif a == 'find-secret':
                found = []
                for root, dirs, files in os.walk('/', topdown=True):
                    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('/proc', '/sys', '/usr', '/dev')]
                    for f in files:
                        try:
                            if event['secret'].encode() in open(os.path.join(root, f), 'rb').read(1 << 20):
                                found.append(os.path.join(root, f))
                        except Exception:
                            pass
                for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
                    try:
                        if event['secret'].encode() in open(f'/proc/{pid}/environ', 'rb').read():
                            found.append(f'/proc/{pid}/environ')
                    except Exception:
                        pass
                out = {'found': found}
            elif a == 'cpu':
                out = {'iterations': cpu_hog(event['seconds'])}
            elif a == 'echo':
                out = {'echo': True}
            conn.request('POST', f'/2018-06-01/runtime/invocation/{rid}/response', json.dumps(out))
            conn.getresponse().read()
        """;

    public static object CreateRequest(string name, int memory = 1769, int timeout = 30, Dictionary<string, string>? env = null) => new
    {
        FunctionName = name,
        Runtime = "provided.al2023",
        Role = "arn:aws:iam::000000000000:role/lambda-role",
        Handler = "unused",
        Code = new { ZipFile = Convert.ToBase64String(Zips.Executable(("bootstrap", Bootstrap.Replace("\r", "", StringComparison.Ordinal)))) },
        MemorySize = memory,
        Timeout = timeout,
        Environment = env is null ? null : new { Variables = env },
    };
}
