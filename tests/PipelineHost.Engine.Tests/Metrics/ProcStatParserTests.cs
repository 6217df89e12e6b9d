using System.Text;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class ProcStatParserTests
{
    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void Stat_fields_are_counted_from_the_last_parenthesis_of_a_comm_with_spaces_and_parentheses()
    {
        // comm "a) (b c)" holds ") (" and spaces; ppid 17, utime 250, stime 50
        var stat = Bytes("4242 (a) (b c)) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 8 20 0 1 0 36196 3133440 393 18446744073709551615\n");

        Assert.True(ProcStatParser.TryParseStat(stat, out var ppid, out var ticks));
        Assert.Equal(17, ppid);
        Assert.Equal(300UL, ticks);
    }

    [Fact]
    public void Stat_of_a_plain_comm_parses()
    {
        var stat = Bytes("1 (process_api) S 0 0 0 0 -1 4194560 36927 524037 0 165 83 206 2787 1356 10 -10 13 0 23 44736512 3344");

        Assert.True(ProcStatParser.TryParseStat(stat, out var ppid, out var ticks));
        Assert.Equal(0, ppid);
        Assert.Equal(289UL, ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 no parenthesis S 1 2 3 4 5 6 7 8 9 10 11 12")]
    [InlineData("12 (short) S 1 2 3 4 5 6 7 8 9 10")]
    [InlineData("12 (bad) S x 2 3 4 5 6 7 8 9 10 11 12 13")]
    public void Malformed_stat_is_rejected(string text)
    {
        Assert.False(ProcStatParser.TryParseStat(Bytes(text), out _, out _));
    }

    [Fact]
    public void Statm_gives_resident_pages_from_field_two()
    {
        Assert.True(ProcStatParser.TryParseStatmResidentPages(Bytes("765 443 415 5 0 123 0\n"), out var pages));
        Assert.Equal(443, pages);
        Assert.False(ProcStatParser.TryParseStatmResidentPages(Bytes("765"), out _));
    }

    [Fact]
    public void Children_file_lists_pids()
    {
        var pids = new List<int>();

        ProcStatParser.ParsePidList(Bytes("12 3456 "), pids);
        ProcStatParser.ParsePidList(Bytes(""), pids);

        Assert.Equal([12, 3456], pids);
    }

    [Theory]
    [InlineData("123", true)]
    [InlineData("self", false)]
    [InlineData("", false)]
    [InlineData("12a", false)]
    public void Pid_names_are_all_digits(string name, bool isPid)
    {
        Assert.Equal(isPid, ProcStatParser.IsPidName(name));
    }

    [Fact]
    public void Pid_names_parse()
    {
        Assert.Equal(4242, ProcStatParser.ParsePidName("4242"));
    }
}
