using System.Security.Cryptography;
using System.Text;
using Ferry.Core.Secrets;
using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

public sealed class SqliteSecretStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-secrets-").FullName;
    private readonly SecretCipher _cipher = new(RandomNumberGenerator.GetBytes(32));

    private string DbPath => Path.Combine(_dir, "ferry.db");

    [Fact]
    public async Task PutGetDelete_RoundTripsForTheOwnerOnly()
    {
        var store = await SqliteSecretStore.OpenAsync(DbPath, _cipher, default);

        var reference = await store.PutAsync("acme", "-----BEGIN OPENSSH PRIVATE KEY-----", default);

        Assert.StartsWith("secret:", reference);
        Assert.Equal("-----BEGIN OPENSSH PRIVATE KEY-----", await store.GetAsync("acme", reference, default));
        Assert.Null(await store.GetAsync("globex", reference, default));
        await store.DeleteAsync("acme", reference, default);
        Assert.Null(await store.GetAsync("acme", reference, default));
    }

    [Fact]
    public async Task StoredFile_NeverContainsThePlaintext()
    {
        var store = await SqliteSecretStore.OpenAsync(DbPath, _cipher, default);
        const string secret = "correct-horse-battery-staple-7f3a";

        await store.PutAsync("acme", secret, default);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var bytes = Directory.GetFiles(_dir).SelectMany(File.ReadAllBytes).ToArray();
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
    }

    [Fact]
    public async Task Get_WithAnotherKey_FailsLoudlyInsteadOfReturningGarbage()
    {
        var store = await SqliteSecretStore.OpenAsync(DbPath, _cipher, default);
        var reference = await store.PutAsync("acme", "hunter2", default);
        var wrongKey = await SqliteSecretStore.OpenAsync(DbPath, new SecretCipher(RandomNumberGenerator.GetBytes(32)), default);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => wrongKey.GetAsync("acme", reference, default));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
