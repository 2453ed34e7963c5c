using System.Security.Cryptography;

namespace Ferry.Core.Audit;

public static class AuditIds
{
    public static string New() => "aud_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
}
