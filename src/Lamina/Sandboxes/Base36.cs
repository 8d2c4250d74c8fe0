namespace Lamina.Sandboxes;

/// <summary>Short names for host objects (interface names may hold only 15 characters).</summary>
internal static class Base36
{
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string Encode(long value)
    {
        if (value == 0)
        {
            return "0";
        }

        Span<char> buffer = stackalloc char[16];
        var i = buffer.Length;
        while (value > 0)
        {
            buffer[--i] = Digits[(int)(value % 36)];
            value /= 36;
        }

        return new string(buffer[i..]);
    }

    public static bool TryDecode(string text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > 12)
        {
            return false;
        }

        foreach (var c in text)
        {
            var digit = Digits.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            value = (value * 36) + digit;
        }

        return true;
    }
}
