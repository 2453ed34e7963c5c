using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;

namespace Ferry.Core.Json;

/// <summary>
/// The JSON documents the core keeps in the store: a job's policy and checkpoint, and an
/// endpoint's credentials (in the secret store). Written by System.Text.Json's source generator,
/// so the Native AOT `ferry` command reads them without reflection; the formats are the ones the
/// reflection-based serializer wrote before (property names as declared, enums by name).
/// </summary>
public static class CoreJson
{
    public static string Serialize(EndpointCredentials credentials) => JsonSerializer.Serialize(credentials, CoreJsonContext.Default.EndpointCredentials);

    public static EndpointCredentials DeserializeCredentials(string json) =>
        JsonSerializer.Deserialize(json, CoreJsonContext.Default.EndpointCredentials) ?? new EndpointCredentials();
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(JobPolicy))]
[JsonSerializable(typeof(SourceVersion))]
[JsonSerializable(typeof(TransferCheckpoint))]
[JsonSerializable(typeof(EndpointCredentials))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
