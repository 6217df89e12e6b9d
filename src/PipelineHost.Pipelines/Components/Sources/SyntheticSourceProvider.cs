using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sources;

/// <summary>
/// A batch source that makes up its objects: <c>count</c> objects of <c>size</c> bytes, lorem-like words for
/// textual types and pseudo-random bytes otherwise. The same config always produces the same bytes, so it is
/// the source for load tests and benchmarks.
/// </summary>
public sealed class SyntheticSourceProvider : IComponentProvider
{
    private const string Name = "synthetic";

    /// <summary>The largest object the source makes.</summary>
    public const long MaxSize = 64L * 1024 * 1024;

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Synthetic objects",
        Description: "Generates a fixed number of deterministic objects (lorem-like text or pseudo-random bytes) for tests and load runs.",
        ClassTypes: ["source"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.SourceInput] = [LaneNames.Tags, LaneNames.Text] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["count"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 1_000_000, ["default"] = 10, ["description"] = "How many objects to generate." },
                ["size"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = MaxSize, ["default"] = 1024, ["description"] = "Bytes per object." },
                ["mimeType"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z0-9.+-]+/[a-z0-9.+-]+$", ["default"] = "text/plain", ["description"] = "The objects' type; text/* gets words, anything else random bytes." },
                ["seed"] = new JsonObject { ["type"] = "integer", ["default"] = 1, ["description"] = "Seed of the generator: same seed, same bytes." },
            },
            ["additionalProperties"] = false,
        })
    {
        Source = SourceKind.Batch,
        Example = JsonNode.Parse("""{"id":"synthetic_1","provider":"synthetic","config":{"count":100,"size":4096,"mimeType":"text/plain","seed":7}}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var count = ConfigValues.GetInt32(config, Name, "count", 10, 1, 1_000_000);
        var size = ConfigValues.GetInt64(config, Name, "size", 1024, 0, MaxSize);
        var mimeType = ConfigValues.GetString(config, Name, "mimeType", "text/plain")!.ToLowerInvariant();
        var seed = ConfigValues.GetInt64(config, Name, "seed", 1);
        return new Synthetic(count, size, mimeType, seed);
    }

    private sealed class Synthetic(int count, long size, string mimeType, long seed) : IBatchSource
    {
        public long? KnownTotal => count;

        public IObjectProcessor Begin(ObjectContext context) => new SourceProcessor(context);

        public async IAsyncEnumerable<SourceObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var extension = MimeTypes.ToExtension(mimeType);
            var text = SourceProcessor.IsTextual(mimeType);
            for (var i = 1; i <= count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var index = i;
                var name = string.Create(CultureInfo.InvariantCulture, $"synthetic-{index:D6}{extension}");
                yield return new SourceObject(name, mimeType, size,
                    _ => ValueTask.FromResult<Stream>(new SyntheticStream(size, ObjectSeed(seed, index), text)))
                {
                    Metadata = new JsonObject { ["index"] = index, ["seed"] = seed },
                };
                await Task.Yield();
            }
        }

        private static ulong ObjectSeed(long seed, int index) => SyntheticStream.Mix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index));
    }

    /// <summary>A read-only stream of generated content, so a 64 MiB object never sits in memory.</summary>
    internal sealed class SyntheticStream(long length, ulong seed, bool text) : Stream
    {
        private static readonly byte[][] Words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
            "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris " +
            "nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum eu fugiat " +
            "nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum")
            .Split(' ')
            .Select(Encoding.ASCII.GetBytes)
            .ToArray();

        private readonly byte[] _pending = new byte[32];
        private ulong _state = seed;
        private int _pendingOffset;
        private int _pendingCount;
        private int _wordsInLine;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        /// <summary>SplitMix64's finaliser: a well-spread 64-bit value from any input.</summary>
        public static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length && _position < length)
            {
                if (_pendingOffset == _pendingCount)
                {
                    Refill();
                }

                var n = (int)Math.Min(Math.Min(buffer.Length - written, _pendingCount - _pendingOffset), length - _position);
                _pending.AsSpan(_pendingOffset, n).CopyTo(buffer[written..]);
                _pendingOffset += n;
                _position += n;
                written += n;
            }

            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private ulong Next()
        {
            _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
            return Mix(_state);
        }

        private void Refill()
        {
            _pendingOffset = 0;
            if (!text)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(_pending, Next());
                _pendingCount = sizeof(ulong);
                return;
            }

            // One word and the separator after it: a new line every twelve words.
            var word = Words[(int)(Next() % (ulong)Words.Length)];
            word.CopyTo(_pending, 0);
            _pending[word.Length] = (byte)(++_wordsInLine % 12 == 0 ? '\n' : ' ');
            _pendingCount = word.Length + 1;
        }
    }
}
