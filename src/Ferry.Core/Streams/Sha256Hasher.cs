using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Ferry.Core.Streams;

/// <summary>
/// SHA-256 whose running state can be saved and restored in another process, so an interrupted
/// transfer of a large file continues from a checkpoint without reading again what it already
/// sent (the file's SHA-256 needs every byte, in order).
/// </summary>
/// <remarks>
/// .NET's hashes cannot export their state. OpenSSL's low-level SHA256_* functions keep it in a
/// plain struct (SHA256_CTX: eight state words, the bit count, the unhashed partial block; its
/// layout unchanged since OpenSSL 0.9.8) and run the same SHA-NI code .NET's SHA-256 does on Linux
/// (measured here: 1.5 GB/s both). The library is the libcrypto .NET itself uses on Linux. If it
/// is missing, or fails the self-test run at first use (a save and restore mid-block checked
/// against <see cref="SHA256.HashData(byte[])"/>), hashing falls back to
/// <see cref="IncrementalHash"/> and <see cref="CanSaveState"/> is false: transfers then start
/// over instead of resuming.
/// </remarks>
public sealed unsafe class Sha256Hasher : IDisposable
{
    /// <summary>sizeof(SHA256_CTX): h[8], Nl, Nh, data[16], num, md_len - all 32-bit.</summary>
    private const int StateSize = 112;

    /// <summary>Room allocated for the context, in case a build's struct is larger than the one saved.</summary>
    private const int ContextAllocation = 256;

    private static readonly Lazy<OpenSsl?> Native = new(OpenSsl.TryLoad);
    private readonly IncrementalHash? _managed;
    private byte[]? _context;

    private Sha256Hasher(IncrementalHash? managed, byte[]? context)
    {
        _managed = managed;
        _context = context;
    }

    /// <summary>True when <see cref="SaveState"/> works on this machine.</summary>
    public static bool CanSaveState => Native.Value is not null;

    public static Sha256Hasher Create()
    {
        if (Native.Value is not { } native)
        {
            return new Sha256Hasher(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), null);
        }

        var hasher = new Sha256Hasher(null, AllocateContext());
        fixed (byte* c = hasher._context)
        {
            native.Init(c);
        }

        return hasher;
    }

    /// <summary>
    /// Continues from a state saved by <see cref="SaveState"/> after exactly
    /// <paramref name="bytesHashed"/> bytes; a state that does not fit fails with <see cref="FormatException"/>.
    /// </summary>
    public static Sha256Hasher Restore(string state, long bytesHashed)
    {
        if (Native.Value is null)
        {
            throw new NotSupportedException("SHA-256 states cannot be restored on this machine (OpenSSL's libcrypto was not found).");
        }

        Span<byte> raw = stackalloc byte[StateSize];
        if (!Convert.TryFromBase64String(state, raw, out var n) || n != StateSize)
        {
            throw new FormatException($"A saved SHA-256 state is {StateSize} bytes of base64.");
        }

        var bits = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(raw[36..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(raw[32..]);
        var partial = BinaryPrimitives.ReadUInt32LittleEndian(raw[104..]);
        var digestLength = BinaryPrimitives.ReadUInt32LittleEndian(raw[108..]);
        if (bits != (ulong)bytesHashed * 8 || partial != (ulong)(bytesHashed % 64) || digestLength != 32)
        {
            throw new FormatException($"The saved SHA-256 state is not one of {bytesHashed} bytes of SHA-256.");
        }

        var hasher = new Sha256Hasher(null, AllocateContext());
        raw.CopyTo(hasher._context);
        return hasher;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_managed is not null)
        {
            _managed.AppendData(data);
            return;
        }

        ObjectDisposedException.ThrowIf(_context is null, this);
        fixed (byte* c = _context)
        fixed (byte* p = data)
        {
            Native.Value!.Update(c, p, (nuint)data.Length);
        }
    }

    /// <summary>The state after the bytes appended so far, for <see cref="Restore"/>; base64, 152 characters.</summary>
    public string SaveState()
    {
        if (_managed is not null)
        {
            throw new NotSupportedException("This machine's SHA-256 cannot save its state (OpenSSL's libcrypto was not found).");
        }

        ObjectDisposedException.ThrowIf(_context is null, this);
        return Convert.ToBase64String(_context.AsSpan(0, StateSize));
    }

    /// <summary>The digest of everything appended; the hasher cannot be used afterwards.</summary>
    public byte[] Finish()
    {
        if (_managed is not null)
        {
            return _managed.GetHashAndReset();
        }

        ObjectDisposedException.ThrowIf(_context is null, this);
        var digest = new byte[32];
        fixed (byte* c = _context)
        fixed (byte* d = digest)
        {
            Native.Value!.Final(d, c);
        }

        _context = null;
        return digest;
    }

    public void Dispose()
    {
        _managed?.Dispose();
        _context = null;
    }

    /// <summary>A plain array: the state is only ever touched inside fixed blocks, so there is nothing native to free.</summary>
    private static byte[] AllocateContext() => new byte[ContextAllocation];

    private sealed class OpenSsl
    {
        private readonly delegate* unmanaged<byte*, int> _init;
        private readonly delegate* unmanaged<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged<byte*, byte*, int> _final;

        private OpenSsl(nint library)
        {
            _init = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(library, "SHA256_Init");
            _update = (delegate* unmanaged<byte*, byte*, nuint, int>)NativeLibrary.GetExport(library, "SHA256_Update");
            _final = (delegate* unmanaged<byte*, byte*, int>)NativeLibrary.GetExport(library, "SHA256_Final");
        }

        public void Init(byte* context) => Check(_init(context), "SHA256_Init");

        public void Update(byte* context, byte* data, nuint length) => Check(_update(context, data, length), "SHA256_Update");

        public void Final(byte* digest, byte* context) => Check(_final(digest, context), "SHA256_Final");

        public static OpenSsl? TryLoad()
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"])
            {
                if (!NativeLibrary.TryLoad(name, out var library))
                {
                    continue;
                }

                try
                {
                    var native = new OpenSsl(library);
                    if (native.PassesSelfTest())
                    {
                        return native;
                    }
                }
                catch (EntryPointNotFoundException)
                {
                    // Built without the low-level API (OPENSSL_NO_DEPRECATED); try the next name.
                }
            }

            return null;
        }

        /// <summary>Hashes 200 bytes with a save and restore into a fresh context in the middle of a block.</summary>
        private bool PassesSelfTest()
        {
            var data = new byte[200];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(i * 7);
            }

            var first = AllocateContext();
            var second = AllocateContext();
            var digest = new byte[32];
            fixed (byte* a = first)
            fixed (byte* b = second)
            fixed (byte* d = data)
            fixed (byte* output = digest)
            {
                Init(a);
                Update(a, d, 77);
                first.AsSpan(0, StateSize).CopyTo(second);
                Update(b, d + 77, (nuint)(data.Length - 77));
                Final(output, b);
            }

            return digest.AsSpan().SequenceEqual(SHA256.HashData(data));
        }

        private static void Check(int result, string function)
        {
            if (result != 1)
            {
                throw new CryptographicException($"OpenSSL {function} failed");
            }
        }
    }
}
