namespace Ferry.Core.Streams;

/// <summary>
/// A stream whose bytes were hashed once where they were produced (<see cref="StreamFanOut"/>
/// hashes what it reads for all its readers), so a reader that reads it from its first byte to
/// its end can report that SHA-256 instead of hashing the same bytes again
/// (<see cref="ExactLengthReadStream.ForWrite"/>), and a write that takes checkpoints can take the
/// hash state at its checkpoints from it too.
/// </summary>
public interface IHashedSource
{
    /// <summary>Lower-case hex SHA-256 of every byte this stream yielded; null until a read has returned its end.</summary>
    string? Sha256Hex { get; }

    /// <summary>
    /// The SHA-256 state after the first <paramref name="position"/> bytes (<see cref="Sha256Hasher.SaveState"/>),
    /// for a checkpoint of a write fed by this stream; null unless the source kept it: positions
    /// that are multiples of <see cref="StreamFanOut.SnapshotInterval"/>, passed recently.
    /// </summary>
    string? Sha256StateAt(long position);
}
