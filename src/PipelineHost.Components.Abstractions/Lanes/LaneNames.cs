namespace PipelineHost.Pipelines.Lanes;

/// <summary>
/// The typed lanes that join components: RocketRide's vocabulary. A producer's output lane must be one its
/// consumer accepts; a component that has nothing for a lane in a given object simply emits nothing there.
/// </summary>
public static class LaneNames
{
    /// <summary>Raw bytes of an object (<see cref="BytesPayload"/>).</summary>
    public const string Tags = "tags";
    /// <summary>UTF-8 text (<see cref="TextPayload"/>).</summary>
    public const string Text = "text";
    /// <summary>Text chunks with metadata (<see cref="DocumentsPayload"/>).</summary>
    public const string Documents = "documents";
    /// <summary>Rows of named cells (<see cref="TablePayload"/>).</summary>
    public const string Table = "table";
    /// <summary>Labels assigned by rules (<see cref="ClassificationsPayload"/>).</summary>
    public const string Classifications = "classifications";
    /// <summary>An image with its MIME type and dimensions (<see cref="MediaPayload"/>).</summary>
    public const string Image = "image";
    /// <summary>Audio with its MIME type (<see cref="MediaPayload"/>).</summary>
    public const string Audio = "audio";
    /// <summary>Video with its MIME type (<see cref="MediaPayload"/>).</summary>
    public const string Video = "video";
    /// <summary>RocketRide question objects (<see cref="JsonPayload"/>).</summary>
    public const string Questions = "questions";
    /// <summary>RocketRide answer objects (<see cref="JsonPayload"/>).</summary>
    public const string Answers = "answers";

    /// <summary>The pseudo input lane of a source in <c>lanes</c> maps: what the source emits on its own.</summary>
    public const string SourceInput = "_source";

    /// <summary>Every lane a component may declare.</summary>
    public static readonly IReadOnlyList<string> All =
        [Tags, Text, Documents, Table, Classifications, Image, Audio, Video, Questions, Answers];

    /// <summary>The lanes carrying media (<see cref="MediaPayload"/>).</summary>
    public static readonly IReadOnlyList<string> Media = [Image, Audio, Video];
}
