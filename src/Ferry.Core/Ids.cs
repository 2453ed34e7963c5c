using System.Security.Cryptography;

namespace Ferry.Core;

/// <summary>Random identifiers with a type prefix ("job_3f9a..."), unguessable so ids alone grant nothing.</summary>
public static class Ids
{
    public static string New(string prefix, int randomBytes = 10) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(randomBytes));
}
