using Lamina.Core.Crypto;

namespace Lamina.Hosting;

/// <summary>
/// Re-reads the master key file when it changes, so a <c>lamina keys rotate-master</c> run beside the
/// server takes effect without a restart: new data is sealed under the new key within <see cref="Interval"/>,
/// and data re-wrapped under it opens at once (an unknown key id makes <see cref="MasterKey"/> re-read the file).
/// </summary>
internal sealed partial class MasterKeyWatcher(MasterKey masterKey, TimeProvider time, ILogger<MasterKeyWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(Interval, time);
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (masterKey.Refresh())
                    {
                        Log.KeyRingReloaded(logger, masterKey.ActiveKeyId);
                    }
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
                {
                    // The old ring stays in use; a half-edited file must not stop the server.
                    Log.KeyRingUnreadable(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        // 1800-1899: keys and certificates.
        [LoggerMessage(1800, LogLevel.Information, "Master key file changed; sealing new data under master key {KeyId}")]
        public static partial void KeyRingReloaded(ILogger logger, uint keyId);

        [LoggerMessage(1801, LogLevel.Error, "Master key file could not be re-read; keeping the keys loaded before: {Problem}")]
        public static partial void KeyRingUnreadable(ILogger logger, string problem);
    }
}
