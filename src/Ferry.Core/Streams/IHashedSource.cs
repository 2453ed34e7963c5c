namespace Ferry.Core.Streams;

/// <summary>
/// A stream whose bytes were hashed once where they were produced (<see cref="StreamFanOut"/>
/// hashes what it reads for all its readers), so a reader that reads it from its first byte to
/// its end can report that SHA-256 instead of hashing the same bytes again
/// (<see cref="ExactLengthReadStream.ForWrite"/>).
/// </summary>
public interface IHashedSource
{
    /// <summary>Lower-case hex SHA-256 of every byte this stream yielded; null until a read has returned its end.</summary>
    string? Sha256Hex { get; }
}
