namespace PipelineHost.Client.Tests;

public class ServiceUriTests
{
    [Theory]
    [InlineData("ws://127.0.0.1:5565", "ws://127.0.0.1:5565/task/service")]
    [InlineData("http://localhost:8080/some/path?q=1#f", "ws://localhost:8080/task/service")]
    [InlineData("https://example.com", "wss://example.com:5565/task/service")]
    [InlineData("wss://example.com:443", "wss://example.com:443/task/service")]
    [InlineData("http://example.com:80", "ws://example.com:80/task/service")]
    [InlineData("localhost:5566", "ws://localhost:5566/task/service")]
    [InlineData("localhost", "ws://localhost:5565/task/service")]
    [InlineData("  10.0.0.5:9000/task/service  ", "ws://10.0.0.5:9000/task/service")]
    [InlineData("http://[::1]:7000", "ws://[::1]:7000/task/service")]
    [InlineData("https://cloud.rocketride.ai", "wss://cloud.rocketride.ai:443/task/service")]
    public void Addresses_are_normalised_as_the_RocketRide_SDKs_do(string input, string expected) =>
        Assert.Equal(new Uri(expected), ServiceUri.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("ftp://example.com")]
    [InlineData("http://")]
    public void Nonsense_is_refused(string input) => Assert.Throws<ArgumentException>(() => ServiceUri.Normalize(input));
}
