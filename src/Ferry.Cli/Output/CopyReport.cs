using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Transfers;
using Ferry.Engine.Flows;

namespace Ferry.Cli.Output;

/// <summary>`ferry copy --json`: one line describing the copy, for scripts.</summary>
internal sealed record CopyReport(
    string Flow,
    string Strategy,
    string Source,
    string Target,
    long Bytes,
    double Seconds,
    double MbPerS,
    string? Sha256,
    bool Skipped,
    IReadOnlyList<string> Notes)
{
    public static CopyReport Of(TransferResult r, TransferRequest request) => new(
        r.Flow,
        r.Strategy.ToString(),
        request.Source.Describe(),
        request.Target.Describe(),
        r.Bytes,
        Math.Round(r.Elapsed.TotalSeconds, 3),
        Math.Round(r.BytesPerSecond / 1e6, 1),
        r.Sha256,
        r.Skipped,
        r.Notes);

    public string ToJson() => JsonSerializer.Serialize(this, CopyReportJson.Default.CopyReport);
}

/// <summary>Source-generated: the ferry command is Native AOT and has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CopyReport))]
internal sealed partial class CopyReportJson : JsonSerializerContext;
