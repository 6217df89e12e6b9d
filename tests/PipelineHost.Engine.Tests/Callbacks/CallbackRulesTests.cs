using System.Net;
using System.Security.Cryptography;
using System.Text;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Tests.Callbacks;

/// <summary>What a callback URL may be, how it is shown, which addresses are not public, and the signing key.</summary>
public sealed class CallbackRulesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-callback-rules", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [InlineData("https://hooks.example.com/done?x=1")]
    [InlineData("http://93.184.216.34:8080/")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    public void Public_http_and_https_urls_are_accepted(string url)
    {
        Assert.Equal(new Uri(url).AbsoluteUri, CallbackUrl.Parse(url, allowPrivateNetworks: false).AbsoluteUri);
    }

    [Theory]
    [InlineData("ftp://example.com/file")]
    [InlineData("/relative/path")]
    [InlineData("not a url")]
    [InlineData("file:///etc/passwd")]
    [InlineData("javascript:alert(1)")]
    public void Anything_but_an_absolute_http_or_https_url_is_refused_with_a_clear_error(string url)
    {
        var ex = Assert.Throws<TaskException>(() => CallbackUrl.Parse(url, allowPrivateNetworks: true));
        Assert.Equal("Argument 'callbackUrl' must be an absolute http:// or https:// URL.", ex.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5565/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://172.16.0.9/")]
    [InlineData("http://192.168.1.1/")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://[fd00::5]/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("http://0.0.0.0/")]
    [InlineData("http://localhost:8080/")]
    [InlineData("http://api.localhost/")]
    public void A_literal_non_public_host_is_refused_at_execute_unless_private_networks_are_allowed(string url)
    {
        var ex = Assert.Throws<TaskException>(() => CallbackUrl.Parse(url, allowPrivateNetworks: false));

        Assert.StartsWith("Argument 'callbackUrl' points to a loopback, private or link-local address", ex.Message, StringComparison.Ordinal);
        Assert.Contains(CallbackUrl.AllowPrivateSetting, ex.Message, StringComparison.Ordinal);
        Assert.NotNull(CallbackUrl.Parse(url, allowPrivateNetworks: true));
    }

    [Fact]
    public void An_overlong_url_is_refused()
    {
        var ex = Assert.Throws<TaskException>(() => CallbackUrl.Parse("https://example.com/" + new string('a', CallbackUrl.MaxLength), allowPrivateNetworks: false));
        Assert.Equal("Argument 'callbackUrl' must be at most 2048 characters.", ex.Message);
    }

    [Theory]
    [InlineData("https://user:pw@hooks.example.com:8443/a/b?token=s3cret#frag", "https://***@hooks.example.com:8443/a/b?***")]
    [InlineData("https://hooks.example.com/a", "https://hooks.example.com/a")]
    [InlineData("http://hooks.example.com/?", "http://hooks.example.com/")]
    [InlineData("garbage", "***")]
    public void Status_shows_the_url_with_user_info_and_query_masked(string url, string shown)
    {
        Assert.Equal(shown, CallbackUrl.Mask(url));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.0.1", true)]
    [InlineData("169.254.1.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("93.184.216.34", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fdff::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("2606:4700:4700::1111", false)]
    [InlineData("64:ff9b::7f00:1", true)]           // NAT64 of 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe", true)]        // NAT64 of 169.254.169.254 (cloud metadata)
    [InlineData("64:ff9b::808:808", false)]         // NAT64 of 8.8.8.8
    [InlineData("64:ff9b:1::a00:1", true)]          // local-use NAT64
    [InlineData("2002:7f00:1::1", true)]            // 6to4 of 127.0.0.1
    [InlineData("2002:c0a8:101::1", true)]          // 6to4 of 192.168.1.1
    [InlineData("2002:808:808::1", false)]          // 6to4 of 8.8.8.8
    [InlineData("::10.0.0.1", true)]                // IPv4-compatible
    [InlineData("::8.8.8.8", false)]
    [InlineData("2001:0:808:808::f5ff:fffe", true)] // Teredo, client 10.0.0.1
    [InlineData("2001:0:a00:1::f7f7:f7f7", true)]   // Teredo, server 10.0.0.1
    [InlineData("2001:0:808:808::f7f7:f7f7", false)] // Teredo, server and client 8.8.8.8
    public void Non_public_addresses_are_loopback_private_link_local_and_reserved_ranges(string address, bool nonPublic)
    {
        Assert.Equal(nonPublic, NetworkAddresses.IsNonPublic(IPAddress.Parse(address)));
    }

    [Fact]
    public void The_signature_is_sha256_hex_hmac_of_the_exact_bytes_keyed_with_the_key_text()
    {
        var body = Encoding.UTF8.GetBytes("""{"state":5,"name":"é"}""");

        var signature = new CallbackSigningKey("k3y").Sign(body);

        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("k3y"u8, body)), signature);
        Assert.Matches("^sha256=[0-9a-f]{64}$", signature);
    }

    [Fact]
    public void Without_a_configured_key_one_is_generated_once_into_the_data_folder_and_kept_across_restarts()
    {
        var body = "{}"u8.ToArray();

        var first = CallbackSigningKey.LoadOrCreate(null, _directory);
        var again = CallbackSigningKey.LoadOrCreate(null, _directory);
        var configured = CallbackSigningKey.LoadOrCreate("configured", _directory);

        var file = Path.Combine(_directory, CallbackSigningKey.FileName);
        var stored = File.ReadAllText(file).Trim();
        Assert.Matches("^[0-9a-f]{64}$", stored);
        Assert.Equal(new CallbackSigningKey(stored).Sign(body), first.Sign(body));
        Assert.Equal(first.Sign(body), again.Sign(body));
        Assert.Equal(new CallbackSigningKey("configured").Sign(body), configured.Sign(body));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void The_backoff_doubles_from_the_initial_delay()
    {
        var options = new CallbackOptions { InitialDelay = TimeSpan.FromMilliseconds(250) };

        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)],
            Enumerable.Range(1, 5).Select(options.DelayBefore));
    }
}
