using System.Globalization;
using Microsoft.Extensions.Options;

namespace Stomper.Hosting;

/// <summary>
/// Checks one named <see cref="StomperServiceOptions"/> when the host starts
/// (<c>ValidateOnStart</c>): every problem found, each naming its configuration key
/// (<c>Stomper:Orders:Heartbeat</c>), none showing a login, passcode or key password. What
/// the key checks let through then meets the client's own checks, reported under the
/// section's key with the client's text.
/// </summary>
internal sealed class StomperServiceOptionsValidator(string name, string sectionPath) : IValidateOptions<StomperServiceOptions>
{
    public ValidateOptionsResult Validate(string? optionsName, StomperServiceOptions options)
    {
        // One validator per registered client: each checks its own name's options only.
        if (!string.Equals(optionsName ?? Options.DefaultName, name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        CheckServer(options, failures);
        CheckCredentials(options, failures);
        CheckTimings(options, failures);
        CheckHeaders(options, failures);
        CheckHandle(options.Handle, failures);
        CheckTls(options.Tls, failures);
        CheckFrameLimits(options.FrameLimits, failures);
        if (options.MessageBufferSize < 1)
        {
            failures.Add(Errors.SettingNotPositive(Key(nameof(options.MessageBufferSize))));
        }

        if (options.MessageBufferLimit is { } limit && limit < options.MessageBufferSize)
        {
            failures.Add(Errors.SettingBelow(Key(nameof(options.MessageBufferLimit)), Key(nameof(options.MessageBufferSize))));
        }

        if (!(options.HealthProbeTimeout > 0) || double.IsInfinity(options.HealthProbeTimeout))
        {
            failures.Add(Errors.SettingSecondsNotPositive(Key(nameof(options.HealthProbeTimeout))));
        }

        if (failures.Count == 0)
        {
            try
            {
                OptionChecks.Check(StomperOptionsMapping.ToClientOptions(options));
            }
            catch (ArgumentException e)
            {
                failures.Add(Errors.SettingRefused(sectionPath.Length == 0 ? "Stomper" : sectionPath, e.Message));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string Key(string relative) => sectionPath.Length == 0 ? relative : $"{sectionPath}:{relative}";

    private void CheckServer(StomperServiceOptions options, List<string> failures)
    {
        if (options.Nodes is { Length: > 0 } nodes)
        {
            if (options.Host is not null || options.Port is not null)
            {
                failures.Add(Errors.SettingHostAndNodes(Key(options.Host is not null ? "Host" : "Port"), Key("Nodes")));
            }

            for (var i = 0; i < nodes.Length; i++)
            {
                var key = Key($"Nodes:{i.ToString(CultureInfo.InvariantCulture)}");
                if (!NodeAddress.TryParse(nodes[i], out var node))
                {
                    failures.Add(Errors.SettingNodeNotHostPort(key, nodes[i] ?? string.Empty));
                }
                else if (node.Port is < 1 or > 65535)
                {
                    failures.Add(Errors.SettingPortOutOfRange(key, node.Port.ToString(CultureInfo.InvariantCulture)));
                }
            }

            return;
        }

        if (options.Host is { } host && string.IsNullOrWhiteSpace(host))
        {
            failures.Add(Errors.SettingHostEmpty(Key("Host")));
        }

        if (options.Port is { } port and (< 1 or > 65535))
        {
            failures.Add(Errors.SettingPortOutOfRange(Key("Port"), port.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private void CheckCredentials(StomperServiceOptions options, List<string> failures)
    {
        foreach (var (key, value) in new[] { ("Login", options.Login), ("Passcode", options.Passcode), ("Vhost", options.Vhost) })
        {
            if (value is not null && value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                failures.Add(Errors.SettingLineBreak(Key(key)));
            }
        }
    }

    private void CheckTimings(StomperServiceOptions options, List<string> failures)
    {
        if (options.Heartbeat is { } heartbeat && (heartbeat.Length != 2 || heartbeat[0] < 0 || heartbeat[1] < 0))
        {
            failures.Add(Errors.SettingHeartbeatShape(Key("Heartbeat")));
        }

        CheckSeconds(options.ConnectionTimeout, "ConnectionTimeout", failures);
        CheckSeconds(options.ReconnectInterval, "ReconnectInterval", failures);
        CheckSeconds(options.ReceiptTimeout, "ReceiptTimeout", failures);
        if (options.ReconnectPolicy is not { } policy)
        {
            return;
        }

        if (options.Nodes is not { Length: > 0 })
        {
            failures.Add(Errors.SettingClusterOnly(Key("ReconnectPolicy")));
            return;
        }

        var before = failures.Count;
        CheckSeconds(policy.BaseDelay, "ReconnectPolicy:BaseDelay", failures);
        CheckSeconds(policy.MaxDelay, "ReconnectPolicy:MaxDelay", failures);
        if (failures.Count > before)
        {
            return;
        }

        try
        {
            StomperOptionsMapping.ToReconnectPolicy(policy)!.Check();
        }
        catch (ArgumentException e)
        {
            failures.Add(Errors.SettingRefused(Key("ReconnectPolicy"), e.Message));
        }
    }

    private void CheckSeconds(double? seconds, string key, List<string> failures)
    {
        if (!OptionChecks.IsNonNegative(seconds) || seconds is { } v && double.IsInfinity(v))
        {
            failures.Add(Errors.SettingSecondsInvalid(Key(key)));
        }
    }

    private void CheckHeaders(StomperServiceOptions options, List<string> failures)
    {
        if (options.CommandHeaders is { } commandHeaders)
        {
            foreach (var (command, headers) in commandHeaders)
            {
                if (headers is null or { Count: 0 })
                {
                    failures.Add(Errors.SettingHeadersEmpty(Key($"CommandHeaders:{command}")));
                }
            }
        }
    }

    private void CheckHandle(StomperHandleSettings? handle, List<string> failures)
    {
        if (handle is null)
        {
            return;
        }

        CheckSeconds(handle.Linger, "Handle:Linger", failures);
        if (handle.ReadSize is < 1)
        {
            failures.Add(Errors.SettingNotPositive(Key("Handle:ReadSize")));
        }

        if (handle.WbufMax is < 0)
        {
            failures.Add(Errors.SettingNegative(Key("Handle:WbufMax")));
        }
    }

    private void CheckTls(StomperTlsSettings? tls, List<string> failures)
    {
        if (tls is not { Enabled: true })
        {
            return;
        }

        CheckFile(tls.CaFile, "Tls:CaFile", failures);
        CheckFile(tls.CertFile, "Tls:CertFile", failures);
        CheckFile(tls.KeyFile, "Tls:KeyFile", failures);
        if (tls.CaPath is { } caPath && !Directory.Exists(caPath))
        {
            failures.Add(Errors.SettingDirectoryMissing(Key("Tls:CaPath"), caPath));
        }

        if (tls.KeyFile is not null && tls.CertFile is null)
        {
            failures.Add(Errors.SettingNeedsOther(Key("Tls:KeyFile"), Key("Tls:CertFile")));
        }

        if (tls.KeyPassword is not null && tls.KeyFile is null && tls.CertFile is null)
        {
            failures.Add(Errors.SettingNeedsOther(Key("Tls:KeyPassword"), Key("Tls:KeyFile")));
        }

        if (tls.PeerName is { } peerName && string.IsNullOrWhiteSpace(peerName))
        {
            failures.Add(Errors.SettingHostEmpty(Key("Tls:PeerName")));
        }
    }

    private void CheckFile(string? path, string key, List<string> failures)
    {
        if (path is not null && !File.Exists(path))
        {
            failures.Add(Errors.SettingFileMissing(Key(key), path));
        }
    }

    private void CheckFrameLimits(StomperFrameLimitSettings? limits, List<string> failures)
    {
        if (limits is null)
        {
            return;
        }

        foreach (var (key, value) in new[]
        {
            ("MaxFrameSize", limits.MaxFrameSize),
            ("MaxHeaderCount", limits.MaxHeaderCount),
            ("MaxHeaderLineLength", limits.MaxHeaderLineLength),
            ("MaxCommandLineLength", limits.MaxCommandLineLength),
        })
        {
            if (value is < 1)
            {
                failures.Add(Errors.SettingNotPositive(Key($"FrameLimits:{key}")));
            }
        }
    }
}
