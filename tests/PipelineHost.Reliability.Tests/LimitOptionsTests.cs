using PipelineHost.Server.Hosting;

namespace PipelineHost.Reliability.Tests;

/// <summary>The hardening limits are options with the documented defaults (protocol-spec/security.md §4).</summary>
public sealed class LimitOptionsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    [Fact]
    public void The_limits_have_their_documented_defaults()
    {
        var options = ServerOptionsParser.Parse([], NoEnvironment);

        Assert.Equal(64 * 1024, options.PreAuthMaxMessageBytes);
        Assert.Equal(256L * 1024 * 1024, options.RequestMaxBytes);
        Assert.Equal(64L * 1024 * 1024, options.ReplyMaxBytes);
        Assert.Equal(10, options.AuthFailuresBeforeBackoff);
    }

    [Fact]
    public void The_limits_are_set_from_the_command_line_and_must_be_positive()
    {
        var options = ServerOptionsParser.Parse(["--preauth-max-message-bytes", "1024", "--request-max-bytes=5000", "--reply-max-bytes", "7000"], NoEnvironment);

        Assert.Equal((1024L, 5000L, 7000L), (options.PreAuthMaxMessageBytes, options.RequestMaxBytes, options.ReplyMaxBytes));
        var error = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--request-max-bytes", "0"], NoEnvironment));
        Assert.Equal("Option '--request-max-bytes' must be a number of bytes greater than 0, not '0'.", error.Message);
    }
}
