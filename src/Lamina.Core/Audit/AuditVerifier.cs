using System.Text.Json;
using Lamina.Core.Crypto;

namespace Lamina.Core.Audit;

/// <summary>What kind of damage verification found.</summary>
internal enum AuditProblemKind
{
    /// <summary>A file's content no longer matches its hash or signature.</summary>
    Modified,

    /// <summary>A file that a digest (or the store) names is gone.</summary>
    Missing,

    /// <summary>A file no digest lists and the server never issued, or a digest outside the chain.</summary>
    Inserted,

    /// <summary>A digest that is not where it says it is (renamed or swapped with another).</summary>
    Moved,

    /// <summary>A file that cannot be read as what it should be, or a bad signature or key.</summary>
    Invalid,

    /// <summary>The chain does not link up: broken previous-digest link or discontinuous times.</summary>
    Broken,
}

internal sealed record AuditProblem(AuditProblemKind Kind, string Location, string Message);

/// <summary>The outcome of <see cref="AuditVerifier.VerifyAsync"/>: lines to print, problems, counts.</summary>
internal sealed class AuditVerifyReport
{
    public List<string> Lines { get; } = [];

    public List<AuditProblem> Problems { get; } = [];

    public int DigestsValid { get; set; }

    public int DigestsInvalid { get; set; }

    public int LogsValid { get; set; }

    public int LogsInvalid { get; set; }

    /// <summary>Per account: the newest digest and its signature (record it elsewhere to catch a rewritten store too).</summary>
    public List<(string AccountId, string ObjectKey, string Signature)> Heads { get; } = [];

    public bool Ok => Problems.Count == 0;

    public void Problem(AuditProblemKind kind, string location, string message)
    {
        Problems.Add(new AuditProblem(kind, location, message));
        Lines.Add($"{kind.ToString().ToUpperInvariant()}\t{location}\t{message}");
    }
}

/// <summary>
/// Validates the audit trail as <c>aws cloudtrail validate-logs</c> validates CloudTrail's, plus what only a
/// local store can add.
/// </summary>
/// <remarks>
/// Per account:
/// (1) Every signing key in the store must be the public half of its master-key-sealed private key.
/// (2) The walk starts at the newest digest the store says was issued (the anchor), not at the newest file, so
///     deleting the newest digests and logs (truncation) shows as missing files.
/// (3) Each digest must be where its digestS3Bucket/digestS3Object say (else moved), its signature file must
///     verify against the signed string with a known key, and its hash and signature must equal the ones the
///     store recorded; the newer digest's previousDigestSignature/HashValue must be this digest's, and its
///     digestStartTime this digest's digestEndTime.
/// (4) Every log file a digest lists must exist and its uncompressed SHA-256 must equal the listed hashValue.
/// (5) The walk follows previousDigestS3Object back to the first digest or past <c>from</c>; a digest whose
///     file is gone is stepped over through the store's list.
/// (6) Digest files not on the chain and log files listed by no digest (nor pending in the store) are inserted;
///     log files sealed since the last digest are checked against the hashes the store holds for them.
/// </remarks>
internal sealed class AuditVerifier(IAuditStore store, AuditLayout layout, Envelope? envelope)
{
    private AuditLayout Layout => layout;

    private static readonly string[] RequiredDigestKeys =
        ["digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature", "digestEndTime", "digestStartTime"];

    public async Task<AuditVerifyReport> VerifyAsync(string? accountId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var report = new AuditVerifyReport();
        var keys = new Dictionary<string, AuditSigningKey>(StringComparer.Ordinal);
        foreach (var key in await store.ListSigningKeysAsync(cancellationToken))
        {
            if (envelope is not null && !AuditSigner.IsGenuine(key, envelope))
            {
                report.Problem(AuditProblemKind.Invalid, $"key {key.Fingerprint}", "public key does not match the master-key-sealed private key");
                continue;
            }

            keys[key.Fingerprint] = key;
        }

        var digests = await store.ListDigestsAsync(accountId, unwrittenOnly: false, cancellationToken);
        var logs = await store.ListLogFilesAsync(accountId, unwrittenOnly: false, cancellationToken);
        var accounts = digests.Select(d => d.AccountId).Concat(logs.Select(l => l.AccountId)).Concat(layout.ListAccountFolders())
            .Where(a => accountId is null || a == accountId)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            await new AccountWalk(this, report, keys, account, from, to,
                digests.Where(d => d.AccountId == account).ToList(), logs.Where(l => l.AccountId == account).ToList()).RunAsync(cancellationToken);
        }

        return report;
    }

    private sealed record LoadedDigest(JsonElement Root, string HashValue, string Signature)
    {
        public string? Text(string name) =>
            Root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private sealed class AccountWalk(
        AuditVerifier verifier,
        AuditVerifyReport report,
        Dictionary<string, AuditSigningKey> keys,
        string accountId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        List<AuditDigest> issued,
        List<AuditLogFile> sealedLogs)
    {
        private readonly HashSet<string> _visitedDigests = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visitedLogs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, AuditLogFile> _logsByKey = sealedLogs.ToDictionary(l => $"{l.Bucket}/{l.ObjectKey}", StringComparer.Ordinal);
        private AuditLayout Layout => verifier.Layout;

        private bool InRange(DateTimeOffset? time) => time is not { } t || ((from is null || t >= from) && (to is null || t <= to));

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var inRange = issued.Where(d => InRange(d.EndTime)).ToList();
            var byKey = issued.ToDictionary(d => $"{d.Bucket}/{d.ObjectKey}", StringComparer.Ordinal);
            var anchor = inRange.Count > 0 ? inRange[^1] : null;
            if (anchor is not null)
            {
                report.Heads.Add((accountId, anchor.ObjectKey, anchor.Signature));
            }

            var current = anchor;
            LoadedDigest? newer = null;
            var newerLocation = "";
            while (current is not null)
            {
                var location = $"{current.Bucket}/{current.ObjectKey}";
                if (!_visitedDigests.Add(location))
                {
                    report.Problem(AuditProblemKind.Broken, location, "the previous-digest links run in a loop");
                    break;
                }

                var loaded = await LoadDigestAsync(current.Bucket, current.ObjectKey, current, cancellationToken);
                AuditDigest? previous;
                if (loaded is null)
                {
                    // Unreadable or forged: its links cannot be trusted, so the store's record of what it listed and
                    // what came before it carries the walk on.
                    foreach (var log in sealedLogs.Where(l => l.DigestId == current.Id))
                    {
                        await CheckLogAsync(log.Bucket, log.ObjectKey, log.HashValue, "(listed by an invalid digest) ", cancellationToken);
                    }

                    previous = Predecessor(current);
                }
                else
                {
                    if (newer is not null)
                    {
                        CheckLink(newerLocation, newer, location, loaded);
                    }

                    await CheckLogsAsync(loaded, cancellationToken);
                    previous = Previous(location, loaded, current, byKey);
                }

                newer = loaded;
                newerLocation = location;
                if (previous is not null && from is { } start && previous.EndTime < start)
                {
                    break;
                }

                current = previous;
            }

            foreach (var digest in inRange.Where(d => !_visitedDigests.Contains($"{d.Bucket}/{d.ObjectKey}")))
            {
                report.Problem(AuditProblemKind.Missing, $"{digest.Bucket}/{digest.ObjectKey}", "issued, but not reachable through the chain");
            }

            foreach (var key in Layout.ListKeys(AuditLayout.DigestPrefix(accountId)))
            {
                var location = $"{Layout.Bucket}/{key}";
                if (!_visitedDigests.Contains(location) && InRange(AuditLayout.DigestEndFromKey(key)))
                {
                    report.DigestsInvalid++;
                    report.Problem(byKey.ContainsKey(location) ? AuditProblemKind.Broken : AuditProblemKind.Inserted, location,
                        byKey.ContainsKey(location) ? "not part of the digest chain" : "a digest this server did not issue");
                }
            }

            foreach (var pending in sealedLogs.Where(l => l.DigestId is null && l.Written && InRange(l.CreatedAt)))
            {
                await CheckLogAsync(pending.Bucket, pending.ObjectKey, pending.HashValue, "(sealed since the last digest) ", cancellationToken);
            }

            foreach (var key in Layout.ListKeys(AuditLayout.LogPrefix(accountId)))
            {
                var location = $"{Layout.Bucket}/{key}";
                if (!_visitedLogs.Contains(location) && InRange(AuditLayout.LogTimeFromKey(key)) && !IsPendingUnwritten(location))
                {
                    report.LogsInvalid++;
                    report.Problem(AuditProblemKind.Inserted, location, _logsByKey.ContainsKey(location)
                        ? "listed by no digest in the chain"
                        : "a log file this server did not write");
                }
            }
        }

        private bool IsPendingUnwritten(string location) => _logsByKey.TryGetValue(location, out var log) && !log.Written;

        private AuditDigest? Predecessor(AuditDigest digest)
        {
            var index = issued.FindIndex(d => d.Id == digest.Id);
            return index > 0 ? issued[index - 1] : null;
        }

        /// <summary>The digest a valid digest links back to; a link to a digest never issued, or a missing link, is reported.</summary>
        private AuditDigest? Previous(string location, LoadedDigest loaded, AuditDigest current, Dictionary<string, AuditDigest> byKey)
        {
            var previousBucket = loaded.Text("previousDigestS3Bucket");
            var previousKey = loaded.Text("previousDigestS3Object");
            if (previousBucket is null || previousKey is null)
            {
                if (Predecessor(current) is { } skipped)
                {
                    report.Problem(AuditProblemKind.Broken, location, $"has no previous digest, but {skipped.Bucket}/{skipped.ObjectKey} was issued before it");
                    return skipped;
                }

                return null;
            }

            if (byKey.GetValueOrDefault($"{previousBucket}/{previousKey}") is { } previous)
            {
                return previous;
            }

            report.Problem(AuditProblemKind.Inserted, $"{previousBucket}/{previousKey}",
                $"named as previous digest by {location}, but this server issued no such digest");
            return Predecessor(current);
        }

        private void CheckLink(string newerLocation, LoadedDigest newer, string location, LoadedDigest loaded)
        {
            if (newer.Text("previousDigestSignature") != loaded.Signature || newer.Text("previousDigestHashValue") != loaded.HashValue)
            {
                report.Problem(AuditProblemKind.Broken, newerLocation, $"its previous-digest hash or signature is not that of {location}");
            }
            else if (newer.Text("digestStartTime") != loaded.Text("digestEndTime"))
            {
                report.Problem(AuditProblemKind.Broken, newerLocation, $"starts at {newer.Text("digestStartTime")}, but {location} ends at {loaded.Text("digestEndTime")}");
            }
        }

        /// <summary>Reads and checks one digest; null when it is missing or invalid (reported).</summary>
        private async Task<LoadedDigest?> LoadDigestAsync(string bucket, string key, AuditDigest issuedDigest, CancellationToken cancellationToken)
        {
            var location = $"{bucket}/{key}";
            var path = Layout.PathOf(bucket, key);
            if (path is null || !File.Exists(path))
            {
                report.DigestsInvalid++;
                report.Problem(AuditProblemKind.Missing, location, "digest file not found");
                return null;
            }

            byte[] content;
            JsonElement root;
            try
            {
                content = AuditFiles.Gunzip(await File.ReadAllBytesAsync(path, cancellationToken));
                using var doc = JsonDocument.Parse(content);
                root = doc.RootElement.Clone();
            }
            catch (Exception ex) when (ex is InvalidDataException or JsonException)
            {
                report.DigestsInvalid++;
                report.Problem(AuditProblemKind.Modified, location, "not a gzip JSON digest any more");
                return null;
            }

            var hash = AuditFiles.Sha256Hex(content);
            var sidecar = File.Exists(path + AuditLayout.SidecarSuffix)
                ? DigestDocument.ReadSidecar(await File.ReadAllBytesAsync(path + AuditLayout.SidecarSuffix, cancellationToken))
                : null;
            var loaded = new LoadedDigest(root, hash, sidecar?.Signature ?? "");
            if (Check(loaded, bucket, key, sidecar, issuedDigest) is { } found)
            {
                report.DigestsInvalid++;
                report.Problem(found.Kind, location, found.Message);
                return null;
            }

            report.DigestsValid++;
            report.Lines.Add($"VALID\t{location}\tdigest");
            return loaded;
        }

        private (AuditProblemKind Kind, string Message)? Check(LoadedDigest loaded, string bucket, string key,
            (string Signature, string Algorithm)? sidecar, AuditDigest issuedDigest)
        {
            if (loaded.Root.ValueKind != JsonValueKind.Object || RequiredDigestKeys.Any(k => !loaded.Root.TryGetProperty(k, out _)))
            {
                return (AuditProblemKind.Invalid, "not a digest: required fields are missing");
            }

            if (loaded.Text("digestS3Bucket") != bucket || loaded.Text("digestS3Object") != key)
            {
                return (AuditProblemKind.Moved, $"has been moved from its original location {loaded.Text("digestS3Bucket")}/{loaded.Text("digestS3Object")}");
            }

            if (loaded.Text("digestPublicKeyFingerprint") is not { } fingerprint || !keys.TryGetValue(fingerprint, out var key2))
            {
                return (AuditProblemKind.Invalid, $"public key not found for fingerprint {loaded.Text("digestPublicKeyFingerprint")}");
            }

            var end = AuditFiles.ParseTime(loaded.Text("digestEndTime"));
            if (end is null || end < key2.ValidFrom.AddSeconds(-1) || (key2.ValidTo is { } validTo && end > validTo))
            {
                return (AuditProblemKind.Invalid, $"digestEndTime {loaded.Text("digestEndTime")} is outside the validity of key {fingerprint}");
            }

            if (sidecar is null || sidecar.Value.Algorithm != DigestDocument.SignatureAlgorithm)
            {
                return (AuditProblemKind.Invalid, "signature file missing or unreadable");
            }

            var signed = DigestDocument.StringToSign(loaded.Text("digestEndTime")!, bucket, key, loaded.HashValue, loaded.Text("previousDigestSignature"));
            if (!AuditSigner.Verify(key2.PublicKey, signed, sidecar.Value.Signature))
            {
                return (AuditProblemKind.Modified, "signature verification failed");
            }

            if (loaded.HashValue != issuedDigest.HashValue || sidecar.Value.Signature != issuedDigest.Signature)
            {
                return (AuditProblemKind.Modified, "hash or signature differs from the digest the store recorded");
            }

            return null;
        }

        private async Task CheckLogsAsync(LoadedDigest digest, CancellationToken cancellationToken)
        {
            if (!digest.Root.TryGetProperty("logFiles", out var files) || files.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var file in files.EnumerateArray())
            {
                var bucket = file.TryGetProperty("s3Bucket", out var b) ? b.GetString() ?? "" : "";
                var key = file.TryGetProperty("s3Object", out var k) ? k.GetString() ?? "" : "";
                var hash = file.TryGetProperty("hashValue", out var h) ? h.GetString() ?? "" : "";
                await CheckLogAsync(bucket, key, hash, "", cancellationToken);
            }
        }

        private async Task CheckLogAsync(string bucket, string key, string hashValue, string note, CancellationToken cancellationToken)
        {
            var location = $"{bucket}/{key}";
            _visitedLogs.Add(location);
            var path = Layout.PathOf(bucket, key);
            string? problem = null;
            var kind = AuditProblemKind.Modified;
            if (path is null || !File.Exists(path))
            {
                (kind, problem) = (AuditProblemKind.Missing, $"{note}log file not found");
            }
            else
            {
                try
                {
                    var hash = AuditFiles.Sha256Hex(AuditFiles.Gunzip(await File.ReadAllBytesAsync(path, cancellationToken)));
                    if (hash != hashValue)
                    {
                        problem = $"{note}hash value doesn't match";
                    }
                    else if (_logsByKey.TryGetValue(location, out var sealedLog) && sealedLog.HashValue != hashValue)
                    {
                        problem = $"{note}hash differs from the one the store recorded";
                    }
                }
                catch (InvalidDataException)
                {
                    problem = $"{note}not a gzip file any more";
                }
            }

            if (problem is null)
            {
                report.LogsValid++;
                report.Lines.Add($"VALID\t{location}\tlog");
            }
            else
            {
                report.LogsInvalid++;
                report.Problem(kind, location, problem);
            }
        }
    }
}
