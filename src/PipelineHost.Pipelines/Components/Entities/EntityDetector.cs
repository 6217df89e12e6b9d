using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Components.Entities;

/// <summary>One entity found in a text: its type, where it is (UTF-16 offset and length) and its text.</summary>
public sealed record Entity(string Type, int Start, int Length, string Value);

/// <summary>
/// Finds personal data in text, the one detector behind <c>anonymize</c> and <c>ner</c>: e-mail addresses, IBANs
/// (mod-97 checksum), card numbers (Luhn), IPv4 and IPv6 addresses, phone numbers. Candidates come from patterns
/// and are kept only when their checksum or parser agrees; where two overlap, the earlier type in
/// <see cref="Types"/> wins, so a card number is never also a phone number. No entity spans a line break.
/// </summary>
public static partial class EntityDetector
{
    /// <summary>Entity type of e-mail addresses.</summary>
    public const string Email = "email";
    /// <summary>Entity type of IBANs.</summary>
    public const string Iban = "iban";
    /// <summary>Entity type of payment card numbers.</summary>
    public const string Card = "card";
    /// <summary>Entity type of IPv4 addresses.</summary>
    public const string IPv4 = "ipv4";
    /// <summary>Entity type of IPv6 addresses.</summary>
    public const string IPv6 = "ipv6";
    /// <summary>Entity type of phone numbers.</summary>
    public const string Phone = "phone";

    /// <summary>Every type, in the order overlaps are settled.</summary>
    public static readonly IReadOnlyList<string> Types = [Email, Iban, Card, IPv4, IPv6, Phone];

    /// <summary>The entities of <paramref name="text"/> whose type is in <paramref name="types"/>, in text order.</summary>
    public static List<Entity> Find(string text, IReadOnlySet<string> types)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(types);
        var found = new List<Entity>();
        foreach (var type in Types)
        {
            if (!types.Contains(type))
            {
                continue;
            }

            foreach (Match match in PatternOf(type).Matches(text))
            {
                if (IsValid(type, match.Value) && !found.Any(e => match.Index < e.Start + e.Length && e.Start < match.Index + match.Length))
                {
                    found.Add(new Entity(type, match.Index, match.Length, match.Value));
                }
            }
        }

        found.Sort((a, b) => a.Start.CompareTo(b.Start));
        return found;
    }

    private static Regex PatternOf(string type) => type switch
    {
        Email => EmailPattern(),
        Iban => IbanPattern(),
        Card => CardPattern(),
        IPv4 => IPv4Pattern(),
        IPv6 => IPv6Pattern(),
        _ => PhonePattern(),
    };

    private static bool IsValid(string type, string value) => type switch
    {
        Iban => IsIban(value),
        Card => IsCardNumber(value),
        IPv6 => IPAddress.TryParse(value, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6,
        Phone => IsPhone(value),
        _ => true,
    };

    /// <summary>True when <paramref name="value"/> (spaces allowed) is an IBAN with a valid ISO 13616 mod-97 check.</summary>
    public static bool IsIban(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var compact = value.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (compact.Length is < 15 or > 34)
        {
            return false;
        }

        // Country and check digits move to the end; letters count as 10..35; the whole number mod 97 must be 1.
        var remainder = 0;
        foreach (var c in compact[4..] + compact[..4])
        {
            var digits = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : -1;
            if (digits < 0)
            {
                return false;
            }

            remainder = digits >= 10 ? ((remainder * 100) + digits) % 97 : ((remainder * 10) + digits) % 97;
        }

        return remainder == 1;
    }

    /// <summary>True when <paramref name="value"/> has 13 to 19 digits (spaces and dashes allowed) passing the Luhn check.</summary>
    public static bool IsCardNumber(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var digits = value.Where(char.IsAsciiDigit).Select(c => c - '0').ToList();
        if (digits.Count is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[digits.Count - 1 - i];
            sum += i % 2 == 1 ? (d * 2 > 9 ? (d * 2) - 9 : d * 2) : d;
        }

        return sum % 10 == 0;
    }

    // International numbers (+ and 8..15 digits) or grouped national ones of 9..15 digits; a bare run of digits or
    // a date (2024-01-15: eight digits) is not taken for a phone number.
    private static bool IsPhone(string value)
    {
        var digits = value.Count(char.IsAsciiDigit);
        return value.StartsWith('+') ? digits is >= 8 and <= 15 : digits is >= 9 and <= 15 && value.Any(c => c is ' ' or '-' or '.' or '(' or ')');
    }

    [GeneratedRegex(@"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IbanPattern();

    [GeneratedRegex(@"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IPv4Pattern();

    [GeneratedRegex(@"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IPv6Pattern();

    [GeneratedRegex(@"(?<![\w+])\+?\(?\d[\d (). -]{6,20}\d(?!\w)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PhonePattern();
}
