namespace Ferry.Core.Connectors;

/// <summary>
/// Where an interrupted write can continue: the first <see cref="Offset"/> bytes are durably at the
/// target, <see cref="Sha256State"/> is the SHA-256 state after them
/// (<see cref="Streams.Sha256Hasher.SaveState"/>), and <see cref="Store"/> is the store's own
/// handle on the partial write (S3: the multipart upload id and the parts it holds). Small enough
/// to keep in a job record whatever the file's size.
/// </summary>
/// <param name="Path">The path the write goes to; a checkpoint is only used for the same path.</param>
public sealed record WriteCheckpoint(string Path, long Offset, string Sha256State, string Store);
