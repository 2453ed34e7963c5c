using Ferry.Core;
using Ferry.Core.Secrets;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>The built-in secret store: values sealed with AES-256-GCM in the embedded database.</summary>
public sealed class SqliteSecretStore : ISecretStore
{
    private readonly SqliteDatabase _database;
    private readonly SecretCipher _cipher;
    private readonly TimeProvider _time;

    public SqliteSecretStore(SqliteDatabase database, SecretCipher cipher, TimeProvider? time = null)
    {
        _database = database;
        _cipher = cipher;
        _time = time ?? TimeProvider.System;
    }

    public static async Task<SqliteSecretStore> OpenAsync(string path, SecretCipher cipher, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, cancellationToken).ConfigureAwait(false), cipher);

    public async Task<string> PutAsync(string customerId, string value, CancellationToken cancellationToken)
    {
        var reference = Ids.New("secret:", 12);
        await _database.ExecuteAsync("INSERT INTO secrets (reference, customer_id, sealed, created_at) VALUES ($ref, $c, $sealed, $at)", cancellationToken,
            ("$ref", reference), ("$c", customerId), ("$sealed", _cipher.Encrypt(value, customerId, reference)), ("$at", _time.GetUtcNow().ToUnixTimeMilliseconds()))
            .ConfigureAwait(false);
        return reference;
    }

    public async Task<string?> GetAsync(string customerId, string reference, CancellationToken cancellationToken)
    {
        await using var c = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sealed FROM secrets WHERE reference = $ref AND customer_id = $c";
        cmd.Parameters.AddWithValue("$ref", reference);
        cmd.Parameters.AddWithValue("$c", customerId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is byte[] sealedValue
            ? _cipher.Decrypt(sealedValue, customerId, reference)
            : null;
    }

    public Task DeleteAsync(string customerId, string reference, CancellationToken cancellationToken) =>
        _database.ExecuteAsync("DELETE FROM secrets WHERE reference = $ref AND customer_id = $c", cancellationToken, ("$ref", reference), ("$c", customerId));
}
