using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using Amazon.Runtime.Endpoints;
using Amazon.S3.Endpoints;

namespace Ferry.Connectors.S3;

/// <summary>
/// Remembers what the SDK's endpoint rules answered for each set of endpoint parameters.
/// </summary>
/// <remarks>
/// The SDK evaluates S3's endpoint rules for every request: one generated method of about 28,000
/// bytes of IL. After 30 calls (any multipart upload above ~240 MiB) the runtime recompiles it with
/// full optimisation, twice with tiered PGO, and each of those compilations holds ~30 MiB of JIT
/// memory: measured with heaptrack, the largest single item in a one-file copy's peak RSS. The rules
/// are a pure function of the parameters, so the parts of one upload can share one answer.
/// The key is built from every public property of <see cref="S3EndpointParameters"/> (found by
/// reflection, so a parameter a later SDK adds is part of it too).
/// </remarks>
internal sealed class CachedEndpointProvider : IEndpointProvider
{
    /// <summary>Bounded: a server writing many keys must not grow this without end.</summary>
    public const int Capacity = 512;

    private static readonly PropertyInfo[] KeyProperties = typeof(S3EndpointParameters)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead)
        .OrderBy(p => p.Name, StringComparer.Ordinal)
        .ToArray();

    private readonly IEndpointProvider _rules;
    private readonly ConcurrentDictionary<string, Endpoint> _answers = new(StringComparer.Ordinal);

    public CachedEndpointProvider(IEndpointProvider rules) => _rules = rules;

    /// <summary>How many answers are held (for tests).</summary>
    public int Count => _answers.Count;

    public Endpoint ResolveEndpoint(EndpointParameters parameters)
    {
        if (parameters is not S3EndpointParameters s3)
        {
            return _rules.ResolveEndpoint(parameters);
        }

        var key = KeyOf(s3);
        if (!_answers.TryGetValue(key, out var answer))
        {
            answer = _rules.ResolveEndpoint(parameters);
            if (_answers.Count >= Capacity)
            {
                _answers.Clear();
            }

            _answers[key] = answer;
        }

        // A copy: the SDK appends "/" to the URL of the endpoint it is given.
        return new Endpoint(answer.URL) { Attributes = answer.Attributes, Headers = answer.Headers };
    }

    /// <summary>Each value length-prefixed, so no object key can make two parameter sets look alike.</summary>
    internal static string KeyOf(S3EndpointParameters parameters)
    {
        var key = new StringBuilder(128);
        foreach (var property in KeyProperties)
        {
            switch (property.GetValue(parameters))
            {
                case null:
                    key.Append('-');
                    break;
                case bool b:
                    key.Append(b ? 't' : 'f');
                    break;
                case var value:
                    var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                    key.Append(text.Length).Append(':').Append(text);
                    break;
            }

            key.Append('|');
        }

        return key.ToString();
    }
}
