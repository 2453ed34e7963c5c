using Ferry.Core.Connectors;
using Ferry.Core.Jobs;

namespace Ferry.Engine.Flows;

/// <summary>
/// What a streaming pass's checkpoints belong to: the version of the file being sent and, when the
/// pass delivers a staging copy, that copy. A saved checkpoint is continued only by a pass with the
/// same scope; the staging copy's own modification time says nothing about the partner's file,
/// so a staged delivery is scoped to the partner's version it was staged from.
/// </summary>
internal sealed record CheckpointScope(SourceVersion Source, StagedCopy? Staged = null)
{
    public static CheckpointScope Of(RemoteEntry source) => new(SourceVersion.Of(source));

    public TransferCheckpoint With(WriteCheckpoint? write) => new(Source, write, Staged: Staged);

    public bool Covers(TransferCheckpoint saved) => saved.Source == Source && saved.Staged == Staged;
}
