using PipelineHost.Pipelines.Components.Sources;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "dir/a.txt", false)]
    [InlineData("*.txt", "a.txt.bak", false)]
    [InlineData("*", ".hidden", true)]
    [InlineData("?.md", "a.md", true)]
    [InlineData("?.md", "ab.md", false)]
    [InlineData("?.md", "/.md", false)]
    [InlineData("**/*", "a.txt", true)]
    [InlineData("**/*", "x/y/z/a.txt", true)]
    [InlineData("**/*.txt", "a.txt", true)]
    [InlineData("**/*.txt", "x/y/a.txt", true)]
    [InlineData("**/*.txt", "x/y/a.md", false)]
    [InlineData("docs/**", "docs/a.txt", true)]
    [InlineData("docs/**", "docs/x/y/a.txt", true)]
    [InlineData("docs/**", "other/docs/a.txt", false)]
    [InlineData("docs/**/*.md", "docs/a.md", true)]
    [InlineData("docs/**/*.md", "docs/x/y/a.md", true)]
    [InlineData("docs/**/*.md", "docsx/a.md", false)]
    [InlineData("**/test/*", "test/a", true)]
    [InlineData("**/test/*", "src/test/a", true)]
    [InlineData("**/test/*", "src/contest/a", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("a**b", "axxb", true)]
    [InlineData("a**b", "ax/xb", false)]
    [InlineData("*.{txt,md}", "a.md", true)]
    [InlineData("*.{txt,md}", "a.txt", true)]
    [InlineData("*.{txt,md}", "a.csv", false)]
    [InlineData("{src,docs}/**/*.{c,h}", "src/x/y.h", true)]
    [InlineData("{src,docs}/**/*.{c,h}", "docs/y.c", true)]
    [InlineData("{src,docs}/**/*.{c,h}", "lib/y.c", false)]
    [InlineData("a{b,c{d,e}}f", "acef", true)]
    [InlineData("a{b,c{d,e}}f", "abf", true)]
    [InlineData("a{b,c{d,e}}f", "acf", false)]
    [InlineData("a{,b}c", "ac", true)]
    [InlineData("a{b", "a{b", true)]
    [InlineData("file[1].txt", "file[1].txt", true)]
    [InlineData("file[1].txt", "file1.txt", false)]
    [InlineData("a+b(c).txt", "a+b(c).txt", true)]
    [InlineData("A.TXT", "a.txt", false)]
    [InlineData("dir\\*.txt", "dir/a.txt", true)]
    public void Matches_like_a_file_glob(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(path));
    }

    [Fact]
    public void Braces_expand_in_order()
    {
        Assert.Equal(["abd", "acd"], GlobPattern.ExpandBraces("a{b,c}d"));
        Assert.Equal(["x"], GlobPattern.ExpandBraces("x"));
    }

    [Fact]
    public void Brace_explosions_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GlobPattern.Parse("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}"));
    }

    [Fact]
    public void Empty_pattern_is_refused()
    {
        Assert.Throws<ArgumentException>(() => GlobPattern.Parse(""));
    }
}
