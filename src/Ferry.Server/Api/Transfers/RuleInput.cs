using Ferry.Core.Schedules;
using Ferry.Server.Api.Endpoints;

namespace Ferry.Server.Api.Transfers;

/// <summary>Checks shared by the standing rules (schedules and triggers): a name, and a target with a path template.</summary>
internal static class RuleInput
{
    public static string Name(FieldErrors errors, string? given, string current)
    {
        var name = given?.Trim() ?? current;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            errors.Add("name", "is required, 1-100 characters");
        }

        return name.Trim();
    }

    /// <summary>The target's endpoint and path template, the given over the current; all of it required when creating.</summary>
    public static (string EndpointId, string PathTemplate) Target(FieldErrors errors, LocationInput? given, string currentEndpoint, string currentPath, bool creating)
    {
        if (creating && given is null)
        {
            errors.Add("target", "is required: {\"endpoint_id\": ..., \"path\": \"in/{name}\"}");
        }

        var endpoint = given?.EndpointId ?? currentEndpoint;
        var path = given?.Path ?? currentPath;
        if (string.IsNullOrWhiteSpace(endpoint) || endpoint.Length > 64)
        {
            errors.Add("target.endpoint_id", "is required");
        }

        EndpointInput.CheckPath(errors, "target.path", path, allowAbsolute: false);
        if (PathTemplate.Check(path) is { } problem)
        {
            errors.Add("target.path", problem);
        }

        return (endpoint, path);
    }
}
