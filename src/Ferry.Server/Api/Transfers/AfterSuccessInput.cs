using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Schedules;
using Ferry.Server.Api.Endpoints;

namespace Ferry.Server.Api.Transfers;

/// <summary>"after_success": {"action": "delete"} or {"action": "move", "archive_path": "archive/{date:yyyy-MM}/{name}"}.</summary>
internal sealed record AfterSuccessInput(string? Action, string? ArchivePath);

internal sealed record AfterSuccessView(string Action, string? ArchivePath)
{
    public static AfterSuccessView From(SourceAction a) => new(a.Kind.ToString().ToLowerInvariant(), a.ArchivePath);
}

/// <summary>Field checks for the post-action of schedules and triggers.</summary>
internal static class AfterSuccessRules
{
    /// <summary>
    /// The post-action <paramref name="input"/> asks for, or null when a field is wrong. An
    /// archive inside what the rule itself lists would send every archived file again, so
    /// <paramref name="listed"/> (the directory or prefix read, and whether below it too) is checked.
    /// </summary>
    public static SourceAction? Parse(FieldErrors errors, AfterSuccessInput input, string listed, bool recursive)
    {
        var kind = input.Action switch
        {
            "none" => SourceActionKind.None,
            "delete" => SourceActionKind.Delete,
            "move" => (SourceActionKind?)SourceActionKind.Move,
            _ => null,
        };
        if (kind is null)
        {
            errors.Add("after_success.action", "must be none, delete or move");
            return null;
        }

        if (kind != SourceActionKind.Move)
        {
            if (input.ArchivePath is not null)
            {
                errors.Add("after_success.archive_path", "applies to the move action only");
            }

            return errors.Any ? null : new SourceAction(kind.Value);
        }

        var archive = input.ArchivePath;
        if (string.IsNullOrWhiteSpace(archive))
        {
            errors.Add("after_success.archive_path", "is required for move: where each file goes, e.g. \"archive/{date:yyyy-MM-dd}/{name}\"");
            return null;
        }

        var before = errors.Count;
        EndpointInput.CheckPath(errors, "after_success.archive_path", archive, allowAbsolute: false);
        if (PathTemplate.Check(archive) is { } problem)
        {
            errors.Add("after_success.archive_path", problem);
        }

        if (errors.Count == before && IsListed(archive, RemotePath.Normalize(listed), recursive))
        {
            errors.Add("after_success.archive_path", $"lies in what this rule lists ('{listed}'{(recursive ? " and below" : "")}): archived files would be sent again; "
                + "archive outside it (e.g. a sibling directory)");
        }

        return errors.Count == before ? new SourceAction(SourceActionKind.Move, archive) : null;
    }

    /// <summary>
    /// The post-action after a create or PATCH: <paramref name="given"/> when sent, else the stored
    /// one - a stored move re-checked, since a changed source may now list its archive.
    /// </summary>
    public static SourceAction? Merge(FieldErrors errors, AfterSuccessInput? given, SourceAction current, string listed, bool recursive) =>
        given is not null ? Parse(errors, given, listed, recursive)
            : current.Kind == SourceActionKind.Move ? Parse(errors, new AfterSuccessInput("move", current.ArchivePath), listed, recursive)
            : current;

    /// <summary>True when files archived to <paramref name="archive"/> (a template) could be listed again.</summary>
    private static bool IsListed(string archive, string listed, bool recursive)
    {
        var slash = archive.LastIndexOf('/');
        var directory = slash < 0 ? "" : archive[..slash];
        // Placeholders decide the rest of the path: only the directories before the first one are known.
        var brace = directory.IndexOf('{');
        if (brace >= 0)
        {
            if (!recursive)
            {
                return false; // the placeholder makes a subdirectory, which a flat listing does not read
            }

            var lastKnown = directory.LastIndexOf('/', brace);
            directory = lastKnown < 0 ? "" : directory[..lastKnown];
        }

        directory = RemotePath.Normalize(directory);
        return recursive
            ? listed.Length == 0 || directory == listed || directory.StartsWith(listed + "/", StringComparison.Ordinal)
            : directory == listed;
    }
}
