namespace Ferry.Core.Secrets;

/// <summary>
/// Where credentials live. Endpoint records keep only the reference <see cref="PutAsync"/>
/// returns; the value is read back only by the worker that connects. Values never appear in
/// responses, logs or traces.
/// </summary>
public interface ISecretStore
{
    /// <summary>Stores a secret for a customer and returns its reference ("secret:..." ).</summary>
    Task<string> PutAsync(string customerId, string value, CancellationToken cancellationToken);

    /// <summary>The secret, or null when the reference does not exist or belongs to another customer.</summary>
    Task<string?> GetAsync(string customerId, string reference, CancellationToken cancellationToken);

    /// <summary>Deletes a secret; deleting a missing one succeeds.</summary>
    Task DeleteAsync(string customerId, string reference, CancellationToken cancellationToken);
}
