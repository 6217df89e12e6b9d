using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// A pipeline deployed to run on a schedule (<c>rrext_deploy_*</c>). Keyed by the pipeline's <c>project_id</c>;
/// <see cref="Pipeline"/> is kept exactly as it was sent.
/// </summary>
public sealed record DeploymentRecord
{
    /// <summary>Runs at its due times.</summary>
    public const string ActiveState = "active";

    /// <summary>Kept, but its due times pass without a run until it is resumed (run now still works).</summary>
    public const string PausedState = "paused";

    /// <summary>The pipeline's <c>project_id</c>; the key.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The pipeline as sent (possibly in its <c>{"pipeline":{…}}</c> wrapper).</summary>
    public required JsonNode Pipeline { get; init; }

    /// <summary>The normalised schedule text (<c>manual</c>, an @-macro, or five or six cron fields).</summary>
    public required string Schedule { get; init; }

    /// <summary>The IANA time zone whose wall clock <see cref="Schedule"/> follows.</summary>
    public string TimeZone { get; init; } = Scheduling.ScheduleTimeZone.DefaultId;

    /// <summary><c>active</c> or <c>paused</c>.</summary>
    public string State { get; init; } = ActiveState;

    /// <summary>The user who deployed it; scheduled runs run as this user.</summary>
    public required string CreatedBy { get; init; }

    /// <summary>Unix seconds.</summary>
    public required double CreatedAt { get; init; }

    /// <summary>Unix seconds; never earlier than <see cref="CreatedAt"/> or a previous value.</summary>
    public required double UpdatedAt { get; init; }

    /// <summary>Unix seconds of the last due time the scheduler handled (run or skipped).</summary>
    public double? LastRunAt { get; init; }

    /// <summary>Unix seconds of the next due time; null for <c>manual</c>.</summary>
    public double? NextRunAt { get; init; }

    /// <summary>
    /// The token of the last task the scheduler started. The store keeps only its keyed hash
    /// (<see cref="LastTokenHash"/>): read back, it is null until the scheduler fills it in from the task in memory.
    /// </summary>
    public string? LastToken { get; init; }

    /// <summary>The keyed hash of <see cref="LastToken"/>, as the store keeps it; set on records read back.</summary>
    public string? LastTokenHash { get; init; }

    /// <summary>The short id of the last task the scheduler started, when known (the task is in memory or in the history).</summary>
    public string? LastTaskId { get; init; }

    /// <summary>True when the last due time was skipped because the previous run was still active.</summary>
    public bool? LastRunSkipped { get; init; }

    /// <summary>Why the last run could not start, if it could not.</summary>
    public string? LastError { get; init; }

    /// <summary>The wire form (<c>rrext_deploy_status</c>, <c>rrext_deploy_list</c>).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["project_id"] = ProjectId,
            ["pipeline"] = Pipeline.DeepClone(),
            ["schedule"] = Schedule,
            ["timeZone"] = TimeZone,
            ["state"] = State,
            ["created_by"] = CreatedBy,
            ["created_at"] = CreatedAt,
            ["updated_at"] = UpdatedAt,
        };
        Add(json, "lastRunAt", LastRunAt);
        Add(json, "nextRunAt", NextRunAt);
        if (LastToken is not null)
        {
            json["lastToken"] = LastToken;
        }

        if (LastTaskId is not null)
        {
            json["lastTaskId"] = LastTaskId;
        }

        if (LastRunSkipped is { } skipped)
        {
            json["lastRunSkipped"] = skipped;
        }

        if (LastError is not null)
        {
            json["lastError"] = LastError;
        }

        return json;
    }

    private static void Add(JsonObject json, string name, double? value)
    {
        if (value is { } v)
        {
            json[name] = v;
        }
    }
}
