using System.Text.Json.Nodes;

namespace Lamina.Sandboxes;

internal sealed partial class SeccompFilter
{
    /// <summary>
    /// The same allowlist as an OCI seccomp profile, for the gVisor tier: runsc <c>--oci-seccomp</c> makes the
    /// sentry enforce it on the function's syscalls (the function then shows <c>Seccomp: 2</c>), beneath the
    /// filter runsc puts on the sentry itself. Same rules as <see cref="Compile"/>: default EPERM, clone without
    /// namespace flags, Docker's personalities, every socket family but AF_VSOCK; except clone3, which this profile
    /// allows: runsc 20221219 ignores a rule's <c>errnoRet</c> and answered the ENOSYS rule with EPERM, on which glibc
    /// gives up instead of falling back to clone (Python could not start a thread). The sentry itself answers clone3
    /// with ENOSYS, and namespaces made inside gVisor are the sentry's, not the host kernel's.
    /// </summary>
    public static JsonObject OciProfile()
    {
        var allowed = new JsonArray();
        foreach (var name in Allowed)
        {
            allowed.Add(name);
        }

        var syscalls = new JsonArray
        {
            new JsonObject { ["names"] = allowed, ["action"] = "SCMP_ACT_ALLOW" },
            new JsonObject
            {
                ["names"] = new JsonArray("clone"),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray(Condition(0, CloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ")),
            },
            new JsonObject { ["names"] = new JsonArray("clone3"), ["action"] = "SCMP_ACT_ALLOW" },
            new JsonObject
            {
                ["names"] = new JsonArray("socket"),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray(Condition(0, AfVsock, 0, "SCMP_CMP_NE")),
            },
        };
        foreach (var persona in Personalities)
        {
            syscalls.Add(new JsonObject
            {
                ["names"] = new JsonArray("personality"),
                ["action"] = "SCMP_ACT_ALLOW",
                ["args"] = new JsonArray(Condition(0, persona, 0, "SCMP_CMP_EQ")),
            });
        }

        return new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ERRNO",
            ["defaultErrnoRet"] = Eperm,
            ["architectures"] = new JsonArray("SCMP_ARCH_X86_64"),
            ["syscalls"] = syscalls,
        };
    }

    private static JsonObject Condition(int index, ulong value, ulong valueTwo, string op) => new()
    {
        ["index"] = index,
        ["value"] = value,
        ["valueTwo"] = valueTwo,
        ["op"] = op,
    };
}
